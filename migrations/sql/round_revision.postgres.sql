-- rounds.revision moves whenever what a round's pages show may have changed: a request of
-- the round is added, changed or removed, one of their events is, or one of their bodies is.
--
-- The triggers are deferred to commit. A transaction then takes the lock on a round's row
-- last, after every row it writes: a transaction waiting for a round never holds that
-- round while it waits, so two writers to the same round queue up at commit instead of
-- deadlocking (one holding a request the other wants while waiting for the round).

CREATE FUNCTION foi_round_revision_of_request() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        UPDATE rounds SET revision = revision + 1 WHERE id = OLD.round_id;
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.round_id <> OLD.round_id) THEN
        UPDATE rounds SET revision = revision + 1 WHERE id = NEW.round_id;
    END IF;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER requests_round_revision AFTER INSERT OR UPDATE OR DELETE ON requests
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION foi_round_revision_of_request();

CREATE FUNCTION foi_round_revision_of_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        UPDATE rounds SET revision = revision + 1
        WHERE id = (SELECT round_id FROM requests WHERE id = OLD.request_id);
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.request_id <> OLD.request_id) THEN
        UPDATE rounds SET revision = revision + 1
        WHERE id = (SELECT round_id FROM requests WHERE id = NEW.request_id);
    END IF;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER request_events_round_revision AFTER INSERT OR UPDATE OR DELETE ON request_events
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION foi_round_revision_of_event();

CREATE FUNCTION foi_round_revision_of_body() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE rounds SET revision = revision + 1
    WHERE id IN (SELECT round_id FROM requests WHERE body_id = NEW.id);
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER bodies_round_revision AFTER UPDATE ON bodies
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION foi_round_revision_of_body();
