"""The benchmark runner: preset -> plan -> method outputs (cached) -> metrics -> results store."""
