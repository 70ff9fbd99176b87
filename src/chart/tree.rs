//! The theme hierarchy as the dendrogram draws it: checked, restricted to the charted themes, and
//! its leaves put in drawing order.
//!
//! In: the run's merges (scipy's linkage convention: merge `m` creates node `k + m`) and the
//! [`Charted`] themes. Out: a [`Tree`] over the charted themes alone, or an error naming a merge
//! that breaks the convention.

use std::borrow::Cow;

use super::charted::Charted;
use crate::report::{MergeInfo, RunReport};
use crate::{Error, Result};

/// The tree the dendrogram draws: merges over leaves `0..charted.ids.len()`, leaf `i` being
/// theme `charted.ids[i]`, and its leaves in drawing order.
pub(crate) struct Tree<'a> {
    /// The merges, in the order they happen.
    pub merges: Cow<'a, [MergeInfo]>,
    /// The leaves, top to bottom.
    pub order: Vec<usize>,
}

impl<'a> Tree<'a> {
    /// The run's hierarchy, checked, and restricted to the charted themes when some are left
    /// out.
    pub(crate) fn of(r: &'a RunReport, charted: &Charted) -> Result<Self> {
        let k = r.themes.len();
        let order = leaf_order(k, &r.hierarchy)?;
        if !charted.is_partial() {
            return Ok(Tree {
                merges: Cow::Borrowed(&r.hierarchy),
                order,
            });
        }
        let merges = restrict(k, &r.hierarchy, &charted.ids);
        let order = leaf_order(charted.ids.len(), &merges)?;
        Ok(Tree {
            merges: Cow::Owned(merges),
            order,
        })
    }
}

/// The `k` leaves of the hierarchy in drawing order: each root (a node never merged) in node
/// order, walked depth-first, left child first. Fails on a merge that refers to a node not yet
/// created or merges a node twice.
fn leaf_order(k: usize, merges: &[MergeInfo]) -> Result<Vec<usize>> {
    let nodes = k + merges.len();
    let mut is_child = vec![false; nodes];
    for (m, mi) in merges.iter().enumerate() {
        for c in [mi.left, mi.right] {
            if c >= k + m {
                return Err(Error::Internal(format!(
                    "theme hierarchy merge {m} refers to node {c}, which does not exist yet"
                )));
            }
            if is_child[c] {
                return Err(Error::Internal(format!(
                    "theme hierarchy merges node {c} twice"
                )));
            }
            is_child[c] = true;
        }
    }
    let mut order = Vec::with_capacity(k);
    for root in (0..nodes).filter(|&n| !is_child[n]) {
        // Iterative depth-first walk, left child first.
        let mut stack = vec![root];
        while let Some(n) = stack.pop() {
            if n < k {
                order.push(n);
            } else {
                let m = &merges[n - k];
                stack.push(m.right);
                stack.push(m.left);
            }
        }
    }
    Ok(order)
}

/// The hierarchy of `k` themes restricted to the themes `ids`: the result's leaf `i` stands for
/// theme `ids[i]`, and a merge is kept where it joins two branches that each hold a charted theme,
/// at its own distance. Any two charted themes so still join at the distance at which they join
/// in the full tree.
///
/// `merges` should have passed [`leaf_order`]; a child it doesn't know yet counts as empty.
fn restrict(k: usize, merges: &[MergeInfo], ids: &[usize]) -> Vec<MergeInfo> {
    // The node of the restricted tree that each node of the full tree comes down to, if any.
    let mut node: Vec<Option<usize>> = vec![None; k + merges.len()];
    for (i, &id) in ids.iter().enumerate() {
        if let Some(n) = node.get_mut(id) {
            *n = Some(i);
        }
    }
    let mut kept = Vec::new();
    for (m, mi) in merges.iter().enumerate() {
        let side = |c: usize| node.get(c).copied().flatten();
        node[k + m] = match (side(mi.left), side(mi.right)) {
            (Some(left), Some(right)) => {
                kept.push(MergeInfo {
                    left,
                    right,
                    distance: mi.distance,
                    size: mi.size,
                });
                Some(ids.len() + kept.len() - 1)
            }
            (one, None) | (None, one) => one,
        };
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn merge(left: usize, right: usize, distance: f32) -> MergeInfo {
        MergeInfo {
            left,
            right,
            distance,
            size: 2,
        }
    }

    fn pairs(merges: &[MergeInfo]) -> Vec<(usize, usize, f32)> {
        merges
            .iter()
            .map(|m| (m.left, m.right, m.distance))
            .collect()
    }

    #[test]
    fn leaf_order_follows_the_tree() {
        let merges = vec![merge(0, 2, 0.1), merge(1, 3, 0.2), merge(4, 5, 0.5)];
        assert_eq!(leaf_order(4, &merges).unwrap(), vec![0, 2, 1, 3]);
    }

    #[test]
    fn leaf_order_keeps_unmerged_themes() {
        assert_eq!(leaf_order(3, &[]).unwrap(), vec![0, 1, 2]);
        assert_eq!(leaf_order(3, &[merge(2, 0, 0.3)]).unwrap(), vec![1, 2, 0]);
    }

    #[test]
    fn leaf_order_rejects_dangling_nodes() {
        assert!(leaf_order(2, &[merge(0, 5, 0.1)]).is_err());
        assert!(leaf_order(3, &[merge(0, 1, 0.1), merge(0, 2, 0.2)]).is_err());
    }

    #[test]
    fn restricting_to_every_theme_keeps_the_tree() {
        let merges = vec![merge(0, 2, 0.1), merge(1, 3, 0.2), merge(4, 5, 0.5)];
        assert_eq!(pairs(&restrict(4, &merges, &[0, 1, 2, 3])), pairs(&merges));
    }

    #[test]
    fn restricting_joins_charted_themes_where_their_branches_merge() {
        // ((0 2) (1 3)): charting 0 and 3 leaves one join, at the root's distance; charting 0
        // and 2 leaves theirs at 0.1.
        let merges = vec![merge(0, 2, 0.1), merge(1, 3, 0.2), merge(4, 5, 0.5)];
        assert_eq!(pairs(&restrict(4, &merges, &[0, 3])), [(0, 1, 0.5)]);
        assert_eq!(pairs(&restrict(4, &merges, &[0, 2])), [(0, 1, 0.1)]);
        assert_eq!(
            pairs(&restrict(4, &merges, &[0, 2, 3])),
            [(0, 1, 0.1), (3, 2, 0.5)]
        );
        assert!(restrict(4, &merges, &[1]).is_empty());
    }
}
