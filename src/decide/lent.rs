//! A list the decision fills in a block the worker lends it from one 401 to the next (allocated
//! at configure: see `glue::spare`). The block is never grown: a grown block is freed, and the
//! hole it leaves among the blocks that live on is where ngx_wasm_module's write past a short
//! pairs buffer can land. Past the block's room the items move to a list of the request's own,
//! and the block is put aside, empty, to be handed back.

use std::ops::{Deref, DerefMut};

/// The items, in the lent block while they fit.
#[derive(Debug)]
pub struct Lent<T> {
    /// The items: in the lent block, or in the request's own list once they outgrew it.
    items: Vec<T>,
    /// The lent block, empty, once the items outgrew it.
    aside: Vec<T>,
    /// Whether the items are still in a lent block.
    lent: bool,
}

impl<T> Lent<T> {
    /// The items go into `block` (emptied first); an empty `Vec::new()` lends nothing, and the
    /// list is then the request's own from the first item.
    pub fn new(mut block: Vec<T>) -> Self {
        block.clear();
        Lent {
            lent: block.capacity() > 0,
            items: block,
            aside: Vec::new(),
        }
    }

    /// Adds an item; the first past the lent block's room moves them all to a list of their own.
    #[inline]
    pub fn push(&mut self, item: T) {
        if self.items.len() == self.items.capacity() {
            self.leave_the_block();
        }
        self.items.push(item);
    }

    /// Adds every item of `items`.
    pub fn append(&mut self, items: Vec<T>) {
        for item in items {
            self.push(item);
        }
    }

    /// The items, full in the lent block, move to a list of their own; a list that is already
    /// its own (nothing lent, or moved before) grows as any does.
    #[cold]
    #[inline(never)]
    fn leave_the_block(&mut self) {
        if !self.lent {
            return;
        }
        self.lent = false;
        let mut own = Vec::with_capacity(self.items.len() * 2);
        own.append(&mut self.items);
        self.aside = std::mem::replace(&mut self.items, own);
    }

    /// Keeps the first of each run of items with the same key (as `Vec::dedup_by_key`).
    pub fn dedup_by_key<K: PartialEq>(&mut self, key: impl FnMut(&mut T) -> K) {
        self.items.dedup_by_key(key);
    }

    /// Keeps the first `len` items.
    pub fn truncate(&mut self, len: usize) {
        self.items.truncate(len);
    }

    /// The items, and the lent block when the items left it (empty); `Vec::new()` otherwise.
    pub fn into_parts(self) -> (Vec<T>, Vec<T>) {
        (self.items, self.aside)
    }
}

impl<T> Deref for Lent<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        &self.items
    }
}

impl<T> DerefMut for Lent<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        &mut self.items
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block<T>(list: &[T]) -> *const T {
        list.as_ptr()
    }

    /// Within its room the lent block holds the items; past it, they move and the block comes
    /// back untouched (same address, same room), never grown.
    #[test]
    fn the_lent_block_is_never_grown() {
        for count in 0..12 {
            let lent_block = Vec::<u32>::with_capacity(4);
            let (address, room) = (lent_block.as_ptr(), lent_block.capacity());
            let mut list = Lent::new(lent_block);
            list.append((0..count).collect());
            assert_eq!(&*list, (0..count).collect::<Vec<_>>().as_slice(), "{count}");
            if count <= 4 {
                assert_eq!(block(&list), address, "{count} items fit: in the block");
            } else {
                assert_ne!(block(&list), address, "{count} items: a list of their own");
            }
            let (items, aside) = list.into_parts();
            let back = if count <= 4 { items } else { aside };
            assert_eq!((back.as_ptr(), back.capacity()), (address, room));
            assert_eq!(back.len(), if count <= 4 { count as usize } else { 0 });
        }
    }

    /// Nothing lent: an ordinary list, and nothing to hand back.
    #[test]
    fn without_a_block_the_list_is_its_own() {
        let mut list = Lent::new(Vec::new());
        list.append((0..9u8).collect());
        list.dedup_by_key(|b| *b / 2);
        list.truncate(3);
        assert_eq!(&*list, &[0, 2, 4]);
        let (items, aside) = list.into_parts();
        assert_eq!((items.len(), aside.capacity()), (3, 0));
    }
}
