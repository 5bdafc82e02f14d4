"""Front-ends: the command line, the pytest plugin, `theorycheck lint` and `verify` for a test function."""
