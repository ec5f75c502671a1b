"""Reports rendered from results (no figures computed here): the self-contained HTML plan report."""
