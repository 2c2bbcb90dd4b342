"""HTML views of the applications app, one module per area: preapplications, intake, lifecycle."""
