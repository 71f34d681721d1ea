"""Coordinators: profiles, roles, the pledge, the roster import."""
