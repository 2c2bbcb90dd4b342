"""Per-area registrations (nav, dashboard panels, audit labels, seeders, enforcement actions)."""
