"""The __Channel__ sandbox: the template's REST shape of the platform's inventory API (tap-__channel__-inventory reads
it). Written by `scripts/new-platform.sh __channel__`; make it answer as the real API does."""
