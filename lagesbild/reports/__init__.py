"""HTML reports: Jinja2 templates with autoescape, fed by plain view models."""
