//! The customer's voice in the demo's history: each evening the CSAT job asks about the day's
//! resolutions and most requesters answer (mostly content, some not); in a month's first days
//! the NPS survey goes out and most answer, in English or Chinese. So the satisfaction report
//! and the leaderboard have months to show.

use super::direct;
use super::history::{Cast, Dice};
use crate::{App, Result};

/// What people write, by how they felt: (stars or score band, text).
const COMMENTS: &[(u8, &str)] = &[
    (5, "Fixed within the hour, thank you!"),
    (5, "非常满意，处理很及时"),
    (4, "Good, but it took two tries."),
    (4, "不错，谢谢"),
    (3, "It works now, eventually."),
    (2, "Waited three days for a reply."),
    (2, "等了很久才有人处理"),
    (1, "Still broken, closed without asking me."),
];

const REASONS: &[(u8, &str)] = &[
    (10, "Friendly and fast, the best service desk I have had."),
    (9, "服务专业，响应迅速"),
    (9, "Quick answers in the portal."),
    (8, "Good overall, the VPN problems are annoying."),
    (7, "还可以，有时候要等"),
    (6, "Slow on hardware requests."),
    (4, "太慢了，笔记本等了两周"),
    (2, "Nobody called me back."),
];

impl App {
    /// The evening's surveys and answers, on the history's clock.
    pub(super) async fn demo_voices(&self, dice: &mut Dice, cast: &Cast<'_>) -> Result<()> {
        self.surveys().ask_for_ratings().await?;
        self.surveys().send_monthly_nps().await?;
        for i in &cast.requesters {
            let person = direct(cast.people[*i].clone());
            for waiting in self.surveys().csat_waiting(&person).await? {
                if !dice.chance(65) {
                    continue;
                }
                // Mostly four and five stars.
                let stars = match dice.range(1, 20) {
                    1 => 1,
                    2..=3 => 2,
                    4..=6 => 3,
                    7..=12 => 4,
                    _ => 5,
                };
                let said: Vec<&str> = COMMENTS.iter().filter(|c| c.0 == stars).map(|c| c.1).collect();
                let comment = if said.is_empty() || dice.chance(40) { "" } else { *dice.pick(&said) };
                self.surveys().rate(&person, waiting.ticket.id, i64::from(stars), comment).await?;
            }
            if self.surveys().nps_waiting(&person).await?.is_some() && dice.chance(70) {
                let (score, reason) = *dice.pick(REASONS);
                self.surveys().answer_nps(&person, i64::from(score), reason).await?;
            }
        }
        Ok(())
    }
}
