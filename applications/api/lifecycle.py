"""REST API: lifecycle (viewsets register on loanportal.api.router)."""
