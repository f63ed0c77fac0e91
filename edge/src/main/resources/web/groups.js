// Groups in the web client: system messages (PROTOCOL.md, "System messages") and the group info
// panel. Plain functions of their inputs; app.js owns the state, the socket and the HTTP API.

/** The text a system message shows, for user `me`; null for events this client does not know. */
export function systemText(sys, me) {
  const who = u => u === me ? 'You' : (u || 'Someone');
  const whom = u => u === me ? 'you' : u;
  switch (sys.event) {
    case 'created': return `${who(sys.by)} created the group`;
    case 'member_added': return `${who(sys.by)} added ${whom(sys.user)}`;
    case 'member_removed': return `${who(sys.by)} removed ${whom(sys.user)}`;
    case 'member_left': return `${who(sys.user)} left`;
    case 'admin_added': return `${who(sys.by)} made ${whom(sys.user)} an admin`;
    case 'admin_removed': return `${who(sys.by)} dismissed ${whom(sys.user)} as admin`;
    case 'renamed': return `${who(sys.by)} renamed the group to “${sys.name}”`;
    case 'description_changed':
      return sys.description ? `${who(sys.by)} changed the description` : `${who(sys.by)} removed the description`;
    case 'icon_changed': return sys.icon ? `${who(sys.by)} changed the group icon` : `${who(sys.by)} removed the group icon`;
    case 'group_deleted': return `${who(sys.by)} deleted the group`;
    default: return null;
  }
}

/**
 * What a system message changes in the conversation `c` of its group: title, description, icon,
 * members and admins as far as known, and `gone` (user `me` is no longer a member).
 */
export function applySystem(c, sys, me) {
  const without = (list, u) => (list || []).filter(x => x !== u);
  const withUser = (list, u) => [...without(list, u), u];
  switch (sys.event) {
    case 'created': c.gone = false; break;
    case 'renamed': c.title = sys.name; break;
    case 'description_changed': c.description = sys.description; break;
    case 'icon_changed': c.icon = sys.icon; break;
    case 'member_added':
      c.members = withUser(c.members, sys.user);
      if (sys.user === me) c.gone = false;
      break;
    case 'member_removed':
    case 'member_left':
      c.members = without(c.members, sys.user);
      c.admins = without(c.admins, sys.user);
      if (sys.user === me) c.gone = true;
      break;
    case 'admin_added': c.admins = withUser(c.admins, sys.user); break;
    case 'admin_removed': c.admins = without(c.admins, sys.user); break;
    case 'group_deleted': c.gone = true; break;
  }
}

/** The group's fields the conversation keeps, from `GET /v1/groups/{id}`. */
export function applyGroup(c, g) {
  c.title = g.name;
  c.description = g.description;
  c.icon = g.icon;
  c.members = g.members;
  c.admins = g.admins;
  c.createdBy = g.createdBy;
  c.gone = false;
}

/**
 * Fills the group info panel for group `g` as user `me` sees it: the name and description form and
 * the delete button for admins, the description for the others, and the members, each with the
 * buttons `actions` answers (promote(u), demote(u), remove(u): app.js calls the API). The creator
 * can be removed or demoted by no one but themself. The form's fields are filled only with
 * `fillForm` (the panel opens, or was saved), so that a change arriving meanwhile never overwrites
 * what the user is typing.
 */
export function renderGroupInfo(g, me, actions, el, fillForm) {
  const iAmAdmin = g.admins.includes(me);
  document.getElementById('group-edit').hidden = !iAmAdmin;
  document.getElementById('group-about').hidden = iAmAdmin;
  document.getElementById('group-about').textContent = g.description || '';
  if (fillForm) {
    document.getElementById('group-name').value = g.name;
    document.getElementById('group-description').value = g.description || '';
  }
  document.getElementById('add-member').hidden = !iAmAdmin;
  document.getElementById('delete-group').hidden = !iAmAdmin;
  const list = document.getElementById('member-list');
  list.replaceChildren();
  for (const u of g.members) {
    const admin = g.admins.includes(u);
    const label = u + (u === g.createdBy ? ' (creator)' : '') + (admin ? ' (admin)' : '');
    const li = el('li', {}, el('span', {className: 'member', textContent: label}));
    li.dataset.user = u;
    const button = (text, name, act) => {
      const b = el('button', {type: 'button', className: 'link', textContent: text});
      b.setAttribute('aria-label', `${text} ${u}`);
      b.dataset.action = name;
      b.onclick = () => act(u);
      li.append(' ', b);
    };
    const protectedCreator = u === g.createdBy && me !== g.createdBy;
    if (iAmAdmin && u !== me) {
      if (!admin) button('Make admin', 'promote', actions.promote);
      else if (!protectedCreator) button('Dismiss as admin', 'demote', actions.demote);
      if (!protectedCreator) button('Remove', 'remove', actions.remove);
    }
    list.append(li);
  }
}
