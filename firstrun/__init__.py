"""The way into the console: the ECS first-run page a new account lands on."""
