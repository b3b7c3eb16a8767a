"""Singer tap for BigCommerce multi-location inventory."""
