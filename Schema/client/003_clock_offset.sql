-- Briefing client store, migration 003: how far this device's clock is from the server's. Never edit once
-- landed: add 004_… instead.

-- This device's wall clock minus the server's (Briefing-Server-Time), in ms, as the last sync measured it;
-- NULL until a Briefing server answered. Beyond the maximum offset, marks are stamped with wall − offset.
ALTER TABLE sync_meta ADD COLUMN clock_offset_ms INTEGER;
-- The server's maximum clock offset ε in ms (Briefing-Max-Clock-Offset); NULL: the default, 60 s.
ALTER TABLE sync_meta ADD COLUMN max_clock_offset_ms INTEGER CHECK (max_clock_offset_ms IS NULL OR max_clock_offset_ms >= 0);
