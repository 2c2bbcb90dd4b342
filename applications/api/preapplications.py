"""REST API: preapplications (viewsets register on loanportal.api.router)."""
