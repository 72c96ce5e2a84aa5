//! The pages of service requests: the portal (`portal.rs`, `order.rs`), a request's page
//! (`page.rs`), the desk's list (`desk.rs`) and the catalogue designer (`designer.rs`).

pub mod designer;
pub mod desk;
pub mod link;
pub mod order;
pub mod page;
pub mod portal;
