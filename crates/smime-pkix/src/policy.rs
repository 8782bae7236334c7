//! The valid_policy_tree of RFC 5280 §6.1.2 (a), §6.1.3 (d)-(e), §6.1.4 (b) and §6.1.5 (g).

use std::collections::BTreeSet;

use const_oid::ObjectIdentifier;

/// anyPolicy (RFC 5280 §4.2.1.4).
pub(crate) const ANY_POLICY: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.32.0");

/// The most nodes a tree may hold; certificates crafted to blow the tree up exponentially are
/// refused beyond this.
const MAX_NODES: usize = 10_000;

#[derive(Clone, Debug)]
struct Node {
    policy: ObjectIdentifier,
    expected: Vec<ObjectIdentifier>,
    parent: Option<usize>,
    depth: usize,
    alive: bool,
}

/// The tree was about to grow beyond its limit.
#[derive(Debug)]
pub(crate) struct TooLarge;

/// A valid_policy_tree; `None` in the validation state stands for the NULL tree.
#[derive(Clone, Debug)]
pub(crate) struct PolicyTree {
    nodes: Vec<Node>,
}

impl PolicyTree {
    /// The initial tree: one anyPolicy node at depth 0 (§6.1.2 (a)).
    pub(crate) fn new() -> Self {
        Self {
            nodes: vec![Node {
                policy: ANY_POLICY,
                expected: vec![ANY_POLICY],
                parent: None,
                depth: 0,
                alive: true,
            }],
        }
    }

    fn push(
        &mut self,
        parent: usize,
        policy: ObjectIdentifier,
        expected: Vec<ObjectIdentifier>,
        depth: usize,
    ) -> Result<(), TooLarge> {
        if self.nodes.len() >= MAX_NODES {
            return Err(TooLarge);
        }
        self.nodes.push(Node {
            policy,
            expected,
            parent: Some(parent),
            depth,
            alive: true,
        });
        Ok(())
    }

    fn at_depth(&self, depth: usize) -> Vec<usize> {
        self.nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.alive && n.depth == depth)
            .map(|(i, _)| i)
            .collect()
    }

    fn node(&self, i: usize) -> Option<&Node> {
        self.nodes.get(i)
    }

    /// Processes the certificatePolicies of the certificate at `depth` (§6.1.3 (d)(1)-(3)):
    /// `policies` are its policy identifiers; `any_allowed` says whether its anyPolicy counts
    /// (inhibit_anyPolicy > 0, or a self-issued intermediate).
    pub(crate) fn process_certificate(
        &mut self,
        depth: usize,
        policies: &[ObjectIdentifier],
        any_allowed: bool,
    ) -> Result<(), TooLarge> {
        let parents = self.at_depth(depth.saturating_sub(1));
        let mut any_in_cert = false;
        for p in policies {
            if *p == ANY_POLICY {
                any_in_cert = true;
                continue;
            }
            let mut matched = false;
            for &i in &parents {
                if self.node(i).is_some_and(|n| n.expected.contains(p)) {
                    self.push(i, *p, vec![*p], depth)?;
                    matched = true;
                }
            }
            if !matched {
                for &i in &parents {
                    if self.node(i).is_some_and(|n| n.policy == ANY_POLICY) {
                        self.push(i, *p, vec![*p], depth)?;
                    }
                }
            }
        }
        if any_in_cert && any_allowed {
            let existing: BTreeSet<(usize, ObjectIdentifier)> = self
                .nodes
                .iter()
                .filter(|n| n.alive && n.depth == depth)
                .filter_map(|n| n.parent.map(|p| (p, n.policy)))
                .collect();
            for &i in &parents {
                let expected = self.node(i).map(|n| n.expected.clone()).unwrap_or_default();
                for e in expected {
                    if !existing.contains(&(i, e)) {
                        self.push(i, e, vec![e], depth)?;
                    }
                }
            }
        }
        self.prune(depth);
        Ok(())
    }

    /// Removes, repeatedly, nodes above `depth` that have no children (§6.1.3 (d)(3)).
    fn prune(&mut self, depth: usize) {
        for d in (0..depth).rev() {
            let parents: BTreeSet<usize> = self
                .nodes
                .iter()
                .filter(|n| n.alive && n.depth == d.saturating_add(1))
                .filter_map(|n| n.parent)
                .collect();
            for n in self.nodes.iter_mut().enumerate().filter_map(|(i, n)| {
                (n.alive && n.depth == d && !parents.contains(&i)).then_some(n)
            }) {
                n.alive = false;
            }
        }
    }

    /// Whether the tree has become NULL.
    pub(crate) fn is_empty(&self) -> bool {
        !self.nodes.first().is_some_and(|n| n.alive)
    }

    /// Applies the policy mappings of the certificate at `depth` (§6.1.4 (b)); `mappings` are
    /// (issuerDomainPolicy, subjectDomainPolicy) pairs.
    pub(crate) fn apply_mappings(
        &mut self,
        depth: usize,
        mappings: &[(ObjectIdentifier, ObjectIdentifier)],
        mapping_allowed: bool,
    ) -> Result<(), TooLarge> {
        let issuer_policies: BTreeSet<ObjectIdentifier> =
            mappings.iter().map(|(i, _)| *i).collect();
        for id_p in issuer_policies {
            let mapped: Vec<ObjectIdentifier> = mappings
                .iter()
                .filter(|(i, _)| *i == id_p)
                .map(|(_, s)| *s)
                .collect();
            let level = self.at_depth(depth);
            if mapping_allowed {
                let mut found = false;
                for &i in &level {
                    if let Some(n) = self.nodes.get_mut(i)
                        && n.policy == id_p
                    {
                        n.expected.clone_from(&mapped);
                        found = true;
                    }
                }
                if !found {
                    let any = level
                        .iter()
                        .copied()
                        .find(|&i| self.node(i).is_some_and(|n| n.policy == ANY_POLICY));
                    if let Some(parent) = any.and_then(|i| self.node(i)).and_then(|n| n.parent) {
                        self.push(parent, id_p, mapped, depth)?;
                    }
                }
            } else {
                for &i in &level {
                    if let Some(n) = self.nodes.get_mut(i)
                        && n.policy == id_p
                    {
                        n.alive = false;
                    }
                }
                self.prune(depth);
            }
        }
        Ok(())
    }

    /// The policy of the valid_policy_node_set ancestor of node `i` (the first node on its
    /// path from the root whose parent is anyPolicy and which is not itself anyPolicy):
    /// the policy in the trust anchor's domain. `None` when the path is all anyPolicy.
    fn root_domain_policy(&self, mut i: usize) -> Option<ObjectIdentifier> {
        let mut chain = Vec::new();
        while let Some(n) = self.node(i) {
            chain.push(n.policy);
            match n.parent {
                Some(p) => i = p,
                None => break,
            }
        }
        chain.into_iter().rev().find(|p| *p != ANY_POLICY)
    }

    /// §6.1.5 (g)(iii): intersects the tree with a user-initial-policy-set that is not
    /// {anyPolicy}.
    pub(crate) fn intersect(
        &mut self,
        depth: usize,
        initial: &[ObjectIdentifier],
    ) -> Result<(), TooLarge> {
        // The valid_policy_node_set: nodes whose parent is anyPolicy and which are not.
        let set: Vec<usize> = (0..self.nodes.len())
            .filter(|&i| {
                self.node(i).is_some_and(|n| {
                    n.alive
                        && n.policy != ANY_POLICY
                        && n.parent
                            .and_then(|p| self.node(p))
                            .is_some_and(|p| p.policy == ANY_POLICY)
                })
            })
            .collect();
        let mut present = BTreeSet::new();
        for &i in &set {
            let policy = self.node(i).map(|n| n.policy);
            if let Some(p) = policy {
                if initial.contains(&p) {
                    present.insert(p);
                } else {
                    self.kill_subtree(i);
                }
            }
        }
        let any_leaf = self
            .at_depth(depth)
            .into_iter()
            .find(|&i| self.node(i).is_some_and(|n| n.policy == ANY_POLICY));
        if let Some(leaf) = any_leaf {
            if let Some(parent) = self.node(leaf).and_then(|n| n.parent) {
                for p in initial {
                    if !present.contains(p) {
                        self.push(parent, *p, vec![*p], depth)?;
                    }
                }
            }
            if let Some(n) = self.nodes.get_mut(leaf) {
                n.alive = false;
            }
        }
        self.prune(depth);
        Ok(())
    }

    fn kill_subtree(&mut self, root: usize) {
        let mut stack = vec![root];
        while let Some(i) = stack.pop() {
            if let Some(n) = self.nodes.get_mut(i) {
                n.alive = false;
            }
            stack.extend(
                self.nodes
                    .iter()
                    .enumerate()
                    .filter(|(_, n)| n.alive && n.parent == Some(i))
                    .map(|(j, _)| j),
            );
        }
    }

    /// The user-constrained policy set (§6.1.6): the trust-anchor-domain policies of the
    /// leaves at `depth`; {anyPolicy} when an all-anyPolicy branch reaches `depth` (then every
    /// policy of the user-initial-policy-set is acceptable).
    pub(crate) fn user_constrained_policy_set(
        &self,
        depth: usize,
        initial: &[ObjectIdentifier],
    ) -> BTreeSet<ObjectIdentifier> {
        let mut out = BTreeSet::new();
        for i in self.at_depth(depth) {
            match self.root_domain_policy(i) {
                Some(p) => {
                    out.insert(p);
                }
                None => out.extend(initial.iter().copied()),
            }
        }
        if !initial.contains(&ANY_POLICY) {
            out.retain(|p| initial.contains(p));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn p(n: u32) -> ObjectIdentifier {
        ObjectIdentifier::new_unwrap("2.16.840.1.101.3.2.1.48")
            .push_arc(n)
            .unwrap()
    }

    #[test]
    fn mapping_explosion_is_bounded() {
        // Every certificate asserts P1..P10 and maps each to all of them: the tree would grow
        // tenfold per certificate.
        let policies: Vec<_> = (1..=10).map(p).collect();
        let mappings: Vec<_> = policies
            .iter()
            .flat_map(|a| policies.iter().map(move |b| (*a, *b)))
            .collect();
        let mut tree = PolicyTree::new();
        let mut result = Ok(());
        for depth in 1..=8 {
            result = tree
                .process_certificate(depth, &policies, true)
                .and_then(|()| tree.apply_mappings(depth, &mappings, true));
            if result.is_err() {
                break;
            }
        }
        assert!(result.is_err());
    }

    #[test]
    fn mapping_and_user_set() {
        let mut tree = PolicyTree::new();
        tree.process_certificate(1, &[p(1)], true).unwrap();
        tree.apply_mappings(1, &[(p(1), p(2))], true).unwrap();
        tree.process_certificate(2, &[p(2)], true).unwrap();
        assert!(!tree.is_empty());
        assert_eq!(
            tree.user_constrained_policy_set(2, &[ANY_POLICY]),
            BTreeSet::from([p(1)])
        );
        let mut narrowed = tree.clone();
        narrowed.intersect(2, &[p(2)]).unwrap();
        assert!(narrowed.is_empty());
        tree.intersect(2, &[p(1)]).unwrap();
        assert_eq!(
            tree.user_constrained_policy_set(2, &[p(1)]),
            BTreeSet::from([p(1)])
        );
    }
}
