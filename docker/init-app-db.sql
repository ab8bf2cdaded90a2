-- The application's own database and role beside Temporal's (the API migrates it at start).
CREATE ROLE psa_sync LOGIN PASSWORD 'psa_sync';
CREATE DATABASE psa_sync OWNER psa_sync;
