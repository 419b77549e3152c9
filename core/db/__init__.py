"""Database helpers shared by the apps (backend-specific fast paths behind small, documented functions)."""
