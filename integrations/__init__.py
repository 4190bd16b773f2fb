"""What connects sessions-plus to real infrastructure outside Python (servers, templates)."""
