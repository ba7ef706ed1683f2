"""End-to-end encryption as cohost lives it: its cross-signed identity, verification
by emoji, and what it does with messages it cannot decrypt."""
