"""REST API: intake (viewsets register on loanportal.api.router)."""
