"""Running pahna: backup and restore of a workspace, retention of raw flows and
quarantine, and checking a workspace's settings."""
