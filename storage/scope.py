"""The association scope: a session bound to one association sees and writes only its rows.

Every row carries ``association_id`` (the tenant key): every model but ``Association`` is a
:class:`storage.models.Tenanted`. A session opened with ``info={TENANT: "khairat"}`` — which is what
:meth:`storage.db.Database.read` / ``write`` (``tenant=…``) and :class:`storage.db.ScopedDatabase`
open — gets, from the events below:

* every ORM SELECT (``select(Model)``, ``session.get``, relationship and eager loads, joins and
  subqueries) and every ORM-enabled UPDATE and DELETE (``update(Model)``, ``delete(Model)``)
  limited to ``association_id = :tenant``, through SQLAlchemy's ``with_loader_criteria`` on
  ``Tenanted``, so a query that forgets the filter still cannot reach another
  association's rows;
* ``association_id`` set on every new object that has none at flush, and a flush refused when
  a new object names another association.

A session without a tenant sees everything: it must be asked for explicitly
(``unscoped=True``), for migrations and the cross-association maintenance commands.

Not covered (by design of SQLAlchemy): Core statements on ``Model.__table__`` and ``text()``;
those carry the tenant themselves (see ``storage.db``). Nor are INSERTs, the SELECT of an
``INSERT … SELECT`` (``bot.features.announcements.audience.materialise`` names the association
there) and statements run on a plain connection (``storage.totals``).

So a query on a scoped session names no association: the scope adds it. The filters still
written by hand are those the scope does not reach (above), those of unscoped sessions (the
``audit`` command), and the association terms inside the OR of the counters' period
(``bot.domain.reports.queries._in_period``), which keep each term a range of the primary key.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import BindParameter, bindparam, event
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction, with_loader_criteria
from sqlalchemy.sql import Executable

from storage.models import Tenanted

TENANT = "tenant"
"""The ``Session.info`` key that holds the association id of a scoped session."""


class ScopeError(RuntimeError):
    """A scoped session was asked to write another association's row."""


class TenantSession(Session):
    """The sync session class behind every ``AsyncSession`` of :class:`storage.db.Database`;
    the scope events listen on this class only."""


def tenant_of(session: Session) -> str | None:
    """The association a session is bound to, ``None`` for an unscoped session."""
    return session.info.get(TENANT)


# One option for every association, built once: the tenant is not a closure variable of the
# lambda (SQLAlchemy would analyse the lambda and extract the value on every execution, ~60 µs)
# but a bound parameter whose value is read when the statement runs, from the context variable
# the hook below sets just before; a statement that somehow runs without it fails (LookupError)
# rather than reading another association's rows.
_SCOPE: ContextVar[str] = ContextVar("association_scope")
_TENANT_PARAM: BindParameter[str] = bindparam("scope_tenant", callable_=_SCOPE.get)
_CRITERIA = with_loader_criteria(
    Tenanted, lambda cls: cls.association_id == _TENANT_PARAM, include_aliases=True
)


# The scoped copy of each statement, kept while the statement lives: ``options()`` returns a new
# statement whose cache key SQLAlchemy must compute again (a walk of the whole statement, 30-60 µs)
# on every execution; a statement built once and run on every update (the person by Telegram id,
# the own draft) keeps its scoped copy, and with it the memoized key. Statements built per call
# leave with their copy.
_SCOPED: WeakKeyDictionary[Executable, Executable] = WeakKeyDictionary()


@event.listens_for(TenantSession, "do_orm_execute")
def _limit_to_tenant(state: ORMExecuteState) -> None:
    tenant = state.session.info.get(TENANT)
    if tenant is None or not state.is_orm_statement:
        return
    if not (state.is_select or state.is_update or state.is_delete):
        return
    _SCOPE.set(tenant)
    # a deferred column is loaded by the primary key of an object the scope already let in;
    # relationship loads carry the option from the statement that loaded the parent, and get
    # it here too for parents that were added, not loaded
    if not state.is_column_load:
        statement = state.statement
        scoped = _SCOPED.get(statement)
        if scoped is None:
            scoped = _SCOPED[statement] = statement.options(_CRITERIA)
        state.statement = scoped


@event.listens_for(TenantSession, "before_flush")
def _stamp_new_rows(session: Session, _flush: UOWTransaction, _instances: Any) -> None:
    tenant = session.info.get(TENANT)
    if tenant is None:
        return
    for obj in session.new:
        if not isinstance(obj, Tenanted):
            continue
        current = obj.association_id
        if current is None:
            obj.association_id = tenant
        elif current != tenant:
            raise ScopeError(
                f"a session of association {tenant!r} cannot add a {type(obj).__name__} "
                f"of association {current!r}"
            )
