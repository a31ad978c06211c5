"""The one configuration layer: environment variables (`env`) and the YAML files in `config/`."""
