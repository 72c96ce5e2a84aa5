-- Events are typed in code and serialized by one codec (steward-store/src/events/codec.rs),
-- which reads every schema version ever written. Every event so far is version 1. The chain
-- hash covers the version only when it is not 1, so the hashes of events already stored stay
-- valid.
ALTER TABLE events ADD COLUMN schema_version BIGINT NOT NULL DEFAULT 1;
