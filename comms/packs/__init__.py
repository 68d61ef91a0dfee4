"""Message packs: campaigns, generating the grid, review, the audit trail, export and import."""
