-- A database made by Vigie before the alert lifecycle (schema version 3), through its API:
-- equal alerts as separate rows, INFO ones, one acknowledged by hand, one by filters, one edited.
-- Written by sqlite3's iterdump; PRAGMA user_version added at the end (iterdump leaves it out).
BEGIN TRANSACTION;
CREATE TABLE alerts (
        id INTEGER PRIMARY KEY,
        timestamp TEXT NOT NULL,
        server TEXT NOT NULL,
        severity TEXT NOT NULL CHECK (severity IN ('CRITICAL','ERROR','WARNING','INFO')),
        message TEXT NOT NULL,
        provider TEXT NOT NULL DEFAULT '',
        application TEXT NOT NULL DEFAULT '',
        environment TEXT NOT NULL DEFAULT '',
        acknowledged INTEGER NOT NULL DEFAULT 0 CHECK (acknowledged IN (0, 1)),
        acknowledged_by TEXT NULL,
        acknowledged_at TEXT NULL,
        source_id TEXT UNIQUE NULL,
        created_at TEXT NOT NULL
    );
INSERT INTO "alerts" VALUES(1,'2026-11-20T10:00:00+00:00','web-01','WARNING','Disk space running low.','Acme','billing','prod',0,NULL,NULL,'f1','2026-11-28T22:12:12+00:00');
INSERT INTO "alerts" VALUES(2,'2026-11-20T11:00:00+00:00','web-01','WARNING','Disk space running low.','Acme','billing','prod',0,NULL,NULL,'f2','2026-11-28T22:12:12+00:00');
INSERT INTO "alerts" VALUES(3,'2026-11-20T12:00:00+00:00','web-01','WARNING','Disk space running low.','Acme','billing','prod',0,NULL,NULL,'f3','2026-11-28T22:12:12+00:00');
INSERT INTO "alerts" VALUES(4,'2026-11-20T12:30:00+00:00','db-01','CRITICAL','Server is on fire','NetOps','crm','preprod',1,'alice','2026-11-28T22:12:12+00:00','f4','2026-11-28T22:12:12+00:00');
INSERT INTO "alerts" VALUES(5,'2026-11-20T13:00:00+00:00','db-01','INFO','Backup successful.','NetOps','crm','preprod',0,NULL,NULL,'f5','2026-11-28T22:12:12+00:00');
INSERT INTO "alerts" VALUES(6,'2026-11-20T14:00:00+00:00','app-01','ERROR','Service restarted unexpectedly (edited)','Acme','billing','prod',1,'alice','2026-11-28T22:12:12+00:00','f6','2026-11-28T22:12:12+00:00');
INSERT INTO "alerts" VALUES(7,'2026-11-21T09:00:00+00:00','edge-rt-02','CRITICAL','Machine is not answering SNMP: timeout','NetOps','core-network','prod',0,NULL,NULL,NULL,'2026-11-28T22:12:12+00:00');
INSERT INTO "alerts" VALUES(8,'2026-11-21T09:05:00+00:00','edge-rt-02','INFO','Machine is answering SNMP again','NetOps','core-network','prod',0,NULL,NULL,NULL,'2026-11-28T22:12:12+00:00');
CREATE TABLE sessions (
        id INTEGER PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        token_hash TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        revoked_at TEXT NULL
    );
CREATE TABLE tokens (
        id INTEGER PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        token_hash TEXT NOT NULL UNIQUE,
        label TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        revoked_at TEXT NULL
    );
INSERT INTO "tokens" VALUES(1,2,'bc32b1fddabf88cf374b5627e8c86697f086a65a0034124cc42aa386ea721ad5','watcher','2026-11-28T22:12:12+00:00','2026-11-29T22:12:12+00:00',NULL);
CREATE TABLE users (
        id INTEGER PRIMARY KEY,
        username TEXT NOT NULL UNIQUE,
        role TEXT NOT NULL CHECK (role IN ('viewer','operator','admin')),
        password_hash TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
INSERT INTO "users" VALUES(1,'admin','admin','scrypt$16384$8$1$00$00','2026-11-28T22:12:12+00:00');
INSERT INTO "users" VALUES(2,'alice','operator','scrypt$16384$8$1$00$00','2026-11-28T22:12:12+00:00');
CREATE INDEX alerts_timestamp ON alerts (timestamp, severity, acknowledged, environment, application, provider, server);
CREATE INDEX alerts_server ON alerts (server, severity, acknowledged, timestamp);
CREATE INDEX alerts_severity ON alerts (severity, environment, application, acknowledged, timestamp);
CREATE INDEX alerts_environment ON alerts (environment, application, provider, acknowledged, timestamp);
CREATE INDEX alerts_application ON alerts (application, provider, acknowledged, timestamp);
CREATE INDEX alerts_provider ON alerts (provider, severity, acknowledged, timestamp);
COMMIT;
PRAGMA user_version=3;
