//! The PostgreSQL engine: one sqlx pool serves reads and writes; several Steward nodes may
//! share the database. (Where its SQL differs from SQLite's, the areas `match` on the backend:
//! `FOR UPDATE SKIP LOCKED`, `RETURNING` ids, the `pg_trgm` title index.)

use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};

use crate::sides::{ReadSide, WriteSide};
use crate::{Result, StoreOptions};

pub(crate) async fn connect(
    connect_options: AnyConnectOptions,
    options: &StoreOptions,
) -> Result<(ReadSide, WriteSide)> {
    let pool = AnyPoolOptions::new()
        .max_connections(options.max_connections)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(connect_options)
        .await?;
    Ok((ReadSide::Pool(pool.clone()), WriteSide::Pool(pool)))
}
