"""REST API of this app: viewsets register on loanportal.api.router."""
