-- rounds.revision moves whenever what a round's pages show may have changed: a request of
-- the round is added, changed or removed, one of their events is, or one of their bodies is.
-- SQLite has one writer at a time, so plain AFTER triggers are enough.

CREATE TRIGGER requests_round_revision_insert AFTER INSERT ON requests
BEGIN
    UPDATE rounds SET revision = revision + 1 WHERE id = NEW.round_id;
END;

CREATE TRIGGER requests_round_revision_update AFTER UPDATE ON requests
BEGIN
    UPDATE rounds SET revision = revision + 1 WHERE id IN (OLD.round_id, NEW.round_id);
END;

CREATE TRIGGER requests_round_revision_delete AFTER DELETE ON requests
BEGIN
    UPDATE rounds SET revision = revision + 1 WHERE id = OLD.round_id;
END;

CREATE TRIGGER request_events_round_revision_insert AFTER INSERT ON request_events
BEGIN
    UPDATE rounds SET revision = revision + 1
    WHERE id = (SELECT round_id FROM requests WHERE id = NEW.request_id);
END;

CREATE TRIGGER request_events_round_revision_update AFTER UPDATE ON request_events
BEGIN
    UPDATE rounds SET revision = revision + 1
    WHERE id IN (SELECT round_id FROM requests WHERE id IN (OLD.request_id, NEW.request_id));
END;

CREATE TRIGGER request_events_round_revision_delete AFTER DELETE ON request_events
BEGIN
    UPDATE rounds SET revision = revision + 1
    WHERE id = (SELECT round_id FROM requests WHERE id = OLD.request_id);
END;

CREATE TRIGGER bodies_round_revision AFTER UPDATE ON bodies
BEGIN
    UPDATE rounds SET revision = revision + 1
    WHERE id IN (SELECT round_id FROM requests WHERE body_id = NEW.id);
END;
