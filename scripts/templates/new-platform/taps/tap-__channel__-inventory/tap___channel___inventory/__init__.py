"""tap-__channel__-inventory: __Channel__ inventory on singer-inventory-kit."""
