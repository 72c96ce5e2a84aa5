-- An incident's description rendered to safe HTML when written (a projection of its events,
-- issue 16). NULL for descriptions written before this, rendered when read.
ALTER TABLE tickets ADD COLUMN description_html TEXT;
