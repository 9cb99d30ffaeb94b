"""Training the Media Topic classifier (``make topics-train``): our written corpus plus the IPTC definitions."""
