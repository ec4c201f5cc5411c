"""One module per screen. Each screen is a widget over the shared :class:`ui.session.CaseSession`."""
