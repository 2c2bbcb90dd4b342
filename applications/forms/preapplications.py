"""Forms: preapplications."""
