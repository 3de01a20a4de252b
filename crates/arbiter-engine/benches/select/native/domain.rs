//! `domain.rhai`, natively.

use arbiter_engine::Domain;
use arbiter_engine::host::Verdict;

use super::{NativeModel, Prepared, score};

fn related(a: Domain, b: Domain) -> bool {
    use Domain::*;
    const GROUPS: [&[Domain]; 2] = [&[Biomedical, Clinical, Scientific], &[Finance, News]];
    GROUPS.iter().any(|g| g.contains(&a) && g.contains(&b))
}

pub(super) fn domain(p: &Prepared, m: &NativeModel) -> Verdict {
    let want = p.task.domain;
    let have = m.model.domain;
    if want == Domain::General {
        if have == Domain::General {
            return score(
                1.0,
                "general pre-training suits a general-domain task".to_string(),
            );
        }
        return score(
            0.6,
            format!("pre-trained on {have} text, narrower than a general-domain task needs"),
        );
    }
    if have == want {
        return score(
            1.0,
            format!("pre-trained on {want} text, the task's domain"),
        );
    }
    if related(want, have) {
        return score(
            0.85,
            format!("pre-trained on {have} text, close to the task's {want} domain"),
        );
    }
    if have == Domain::General {
        return score(0.4, format!("general pre-training, without {want} text"));
    }
    score(
        0.2,
        format!("pre-trained on {have} text, another domain than the task's {want}"),
    )
}
