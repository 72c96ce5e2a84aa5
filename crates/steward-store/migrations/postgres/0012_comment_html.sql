-- A comment's Markdown rendered to safe HTML once, when written (issue 16): views no longer
-- render. Comments written before this have none and are rendered when read.
ALTER TABLE comments ADD COLUMN body_html TEXT;
