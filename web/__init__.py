"""juzhu (居住): residence registration and residence permit service platform."""
