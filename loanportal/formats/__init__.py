"""Number formats of the pages (settings.FORMAT_MODULE_PATH), over Django's own for the language."""
