"""Reading what users give: bounded YAML, the proposal's schema and validation, proposal files,
calendar exports and invitations."""
