"""The counter console: the clerk's page for calling, serving, transferring and pausing at one counter."""
