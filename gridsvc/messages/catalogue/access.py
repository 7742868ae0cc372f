"""Messages about who may do what: tokens, console users and sessions, roles and scopes."""

from __future__ import annotations

from gridsvc.messages.entry import Entry, m

MESSAGES: dict[str, Entry] = {
    # --- signing in with a token ---
    "access.no_token": m(
        "This endpoint needs a token.",
        "此接口需要令牌。",
        "Send the header `Authorization: Bearer <token>`; an admin creates tokens with "
        "`gridsvc token create`.",
        "请在请求头中发送 `Authorization: Bearer <令牌>`；令牌由管理员用 "
        "`gridsvc token create` 创建。",
    ),
    "access.not_bearer": m(
        "The Authorization header must be `Bearer <token>`.",
        "Authorization 请求头应为 `Bearer <令牌>`。",
        "Send the token as `Authorization: Bearer <token>`.",
        "请以 `Authorization: Bearer <令牌>` 的形式发送令牌。",
    ),
    "access.basic_no_token": m(
        "The Basic credentials carry no token as their password.",
        "Basic 认证的密码处没有令牌。",
        "Put the token in the password field; any user name will do.",
        "请把令牌填在密码处，用户名可任意填写。",
    ),
    "access.bad_token": m(
        "The token is not valid (unknown or revoked).",
        "令牌无效（不存在或已被撤销）。",
        "Ask an admin for a new token.",
        "请向管理员申请新的令牌。",
    ),
    "access.no_active_token": m(
        "No active token {token_id}.",
        "没有编号为 {token_id} 的有效令牌。",
        "See `gridsvc token list`.",
        "请用 `gridsvc token list` 查看令牌。",
    ),
    # --- roles and scopes ---
    "access.may_not": m(
        "{who} may not {action}.",
        "{who}无权{action}。",
        "This needs a token of role {roles:or}.",
        "需要以下角色的令牌：{roles:choices}。",
    ),
    "access.act_admin": m("do this (admin only)", "执行此操作（仅限管理员）"),
    "access.act_report": m("report events", "上报事件"),
    "access.act_photos": m("send photos", "上传照片"),
    "access.not_scope": m(
        "'{code}' is not a scope: use a community (12 digits), street (9), district (6) or "
        "sector (S…) code, or {city} for the city.",
        "“{code}”不是辖区代码：请填写社区（12位）、街道（9位）、区（6位）或板块（S开头）代码，"
        "全市填 {city}。",
    ),
    "access.unknown_role": m(
        "Unknown role '{role}'.",
        "没有“{role}”这个角色。",
        "Use one of {roles:list}.",
        "请使用以下角色之一：{roles:choices}。",
    ),
    "access.holder_token": m("token", "令牌"),
    "access.holder_user": m("user", "用户"),
    "access.needs_scope": m(
        "A {role} {holder} needs --scope (a grid code).",
        "{role:term}{holder}需要辖区（--scope，网格代码）。",
    ),
    "access.worker_scope": m(
        "A grid_worker's scope is a community or street code.",
        "网格员的辖区应为社区或街道代码。",
    ),
    "access.no_scope": m(
        "A {role} {holder} has no grid scope.",
        "{role:term}{holder}没有辖区，请不要填写辖区代码。",
    ),
    "access.needs_department": m(
        "A department {holder} needs --department.",
        "职能部门{holder}需要部门（--department）。",
    ),
    "access.unknown_department": m(
        "Unknown department '{department}'.",
        "没有“{department}”这个部门。",
        "See `gridsvc departments list`.",
        "请用 `gridsvc departments list` 查看部门。",
    ),
    "access.no_department": m(
        "A {role} {holder} has no department.",
        "{role:term}{holder}不属于部门，请不要填写部门。",
    ),
    # --- console users and their sessions ---
    "access.session_ended": m(
        "Your sign-in has ended (signed out, expired, or the account was disabled).",
        "您的登录已失效（已退出、已过期或账号已停用）。",
        "Sign in again at /login.",
        "请在 /login 重新登录。",
    ),
    "access.csrf": m(
        "This request from a signed-in page lacks the page's CSRF token.",
        "此请求缺少页面的安全校验码（CSRF）。",
        "Reload the page and try again; apps send a bearer token instead.",
        "请刷新页面后重试。",
    ),
    "user.password_short": m(
        "The password has {length} characters; it needs at least {minimum}.",
        "密码只有 {length} 个字符，至少需要 {minimum} 个。",
        "A few unrelated words make a long password that is easy to type.",
        "几个不相关的词连在一起，就是一个既长又好输入的密码。",
    ),
    "user.password_long": m(
        "The password is longer than 256 characters.",
        "密码超过了 256 个字符。",
    ),
    "user.bad_name": m(
        "'{username}' is not a user name: 2–64 letters, digits, _ . @ -, starting with a "
        "letter or digit.",
        "“{username}”不能用作用户名：用户名须为 2–64 个字母、数字或 _ . @ -，并以字母或数字开头。",
    ),
    "user.taken": m(
        "The user name '{username}' is taken.",
        "用户名“{username}”已被使用。",
        "Choose another user name.",
        "请换一个用户名。",
    ),
    "user.not_found": m(
        "No user '{username}'.",
        "没有用户“{username}”。",
        "See `gridsvc user list`.",
        "请用 `gridsvc user list` 查看用户。",
    ),
    "user.refused": m(
        "The user name or the password is wrong, or the account is disabled.",
        "用户名或密码错误，或账号已停用。",
        "Check the spelling; an admin can reset it.",
        "请检查输入是否正确；忘记密码可请管理员重置。",
    ),
    "user.locked": m(
        "The account is locked after {failures} wrong passwords in a row, until {until}.",
        "连续 {failures} 次密码错误，账号已锁定到 {until}。",
        "Wait until then, or ask an admin to set a new password.",
        "请到时再试，或请管理员重新设置密码。",
    ),
}
