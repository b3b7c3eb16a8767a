"""Singer tap for Magento 2 inventory."""
