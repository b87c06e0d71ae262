"""Administration pages (/admin, admin role only): a shell that calls the JSON API of server/api/routes_admin.py."""
