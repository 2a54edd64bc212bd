"""Reference implementations the engine is compared with (slow, obviously correct)."""
