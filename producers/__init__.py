"""Publishing into the axis: the agency SDK, the HTTP gateway, the publish CLI."""
