/// The console's Mustache templates: Chinese first, English beside it; plain HTML forms that work
/// without JavaScript.
enum ConsoleTemplates {
    static let all: [String: String] = [
        "layout": layout, "login": login, "code": code, "password": password, "totp": totp, "home": home, "units": units, "people": people,
        "systems": systems, "submissions": submissions, "receipt": receipt, "conflicts": conflicts, "audit": audit, "message": message,
    ]

    static let layout = """
        <!doctype html>
        <html lang="zh-CN">
        <head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}} · CreditHub 信用信息平台</title><link rel="stylesheet" href="/static/console.css"></head>
        <body>
        <header><a class="brand" href="/">CreditHub 信用信息平台</a>
        {{#user}}<nav>{{#links}}<a href="{{href}}">{{label}}</a>{{/links}}</nav>
        <form class="inline" method="post" action="/logout"><input type="hidden" name="_csrf" value="{{csrf}}"><span class="who">{{name}}（{{unit}}）</span><button type="submit">退出 Sign out</button></form>{{/user}}
        </header>
        <main>
        <h1>{{title}}</h1>
        {{#notice}}<p class="notice" role="status">{{notice}}</p>{{/notice}}
        {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
        {{{body}}}
        </main>
        </body></html>
        """

    static let login = """
        <form method="post" action="/login" class="card">
        <input type="hidden" name="_csrf" value="{{loginToken}}">
        <label>用户名 Username <input name="username" autocomplete="username" required value="{{username}}"></label>
        <label>密码 Password <input name="password" type="password" autocomplete="current-password" required></label>
        <button type="submit">登录 Sign in</button>
        </form>
        <p class="hint">登录需要密码和动态口令两个因素。/ Signing in takes a password and a one-time code.</p>
        """

    static let code = """
        <form method="post" action="/login/code" class="card">
        <input type="hidden" name="_csrf" value="{{csrf}}">
        <label>动态口令 One-time code <input name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" required autofocus></label>
        <button type="submit">验证 Verify</button>
        </form>
        """

    static let password = """
        <form method="post" action="/account/password" class="card">
        <input type="hidden" name="_csrf" value="{{csrf}}">
        {{#mustChange}}<p>首次登录或密码被重置后，请设置新密码。/ Set a new password before going on.</p>{{/mustChange}}
        <label>当前密码 Current password <input name="current" type="password" autocomplete="current-password" required></label>
        <label>新密码 New password（至少 12 位 / 12+ characters）<input name="new" type="password" autocomplete="new-password" minlength="12" required></label>
        <label>确认新密码 Repeat <input name="confirm" type="password" autocomplete="new-password" minlength="12" required></label>
        <button type="submit">修改密码 Change password</button>
        </form>
        """

    static let totp = """
        <div class="card">
        <p>请用身份验证器（如 FreeOTP、Google Authenticator）扫描二维码或输入密钥，然后输入它显示的 6 位口令。/ Scan the QR code with an authenticator app (or type the secret), then enter the code it shows.</p>
        {{#qr}}<p class="qr" id="totp-qr">{{{qr}}}</p>{{/qr}}
        <p>密钥 Secret: <code id="totp-secret">{{secret}}</code></p>
        <p>链接 URI: <code id="totp-uri">{{uri}}</code></p>
        <form method="post" action="/account/totp">
        <input type="hidden" name="_csrf" value="{{csrf}}">
        <label>动态口令 Code <input name="code" inputmode="numeric" pattern="[0-9]{6}" required autofocus></label>
        <button type="submit">完成绑定 Enrol</button>
        </form>
        </div>
        """

    static let home = """
        <p>您的角色 Your roles: {{#roles}}<span class="tag">{{.}}</span> {{/roles}}</p>
        <ul class="tiles">{{#links}}<li><a href="{{href}}">{{label}}</a><br><small>{{hint}}</small></li>{{/links}}</ul>
        <form method="post" action="/logout/everywhere"><input type="hidden" name="_csrf" value="{{csrf}}"><button type="submit">在所有设备退出 Sign out everywhere</button></form>
        """

    static let units = """
        <table><thead><tr><th>名称 Name</th><th>统一社会信用代码 Code</th><th>标识 Id</th></tr></thead><tbody>
        {{#units}}<tr><td>{{name}}</td><td><code>{{code}}</code></td><td><small>{{id}}</small></td></tr>{{/units}}
        </tbody></table>
        <h2>新增单位 Add a unit</h2>
        <form method="post" action="/admin/units" class="card">
        <input type="hidden" name="_csrf" value="{{csrf}}">
        <label>名称 Name <input name="name" required></label>
        <label>统一社会信用代码 Unified social credit code <input name="code" required pattern="[0-9A-Za-z]{18}"></label>
        <button type="submit">新增 Add</button>
        </form>
        """

    static let people = """
        <table><thead><tr><th>用户名 Username</th><th>姓名 Name</th><th>单位 Unit</th><th>角色 Roles</th><th>状态 Status</th><th></th></tr></thead><tbody>
        {{#people}}<tr><td>{{username}}</td><td>{{displayName}}</td><td>{{unit}}</td>
        <td><form method="post" action="/admin/people/{{id}}/roles" class="roles"><input type="hidden" name="_csrf" value="{{csrf}}">
        {{#roleChoices}}<label class="check"><input type="checkbox" name="role" value="{{value}}" {{#checked}}checked{{/checked}}>{{label}}</label>{{/roleChoices}}
        <button type="submit">保存 Save</button></form></td>
        <td>{{status}}</td>
        <td><form method="post" action="/admin/people/{{id}}/reset"><input type="hidden" name="_csrf" value="{{csrf}}"><button type="submit">重置密码 Reset password</button></form></td></tr>{{/people}}
        </tbody></table>
        <h2>新增人员 Add a person</h2>
        <form method="post" action="/admin/people" class="card">
        <input type="hidden" name="_csrf" value="{{csrf}}">
        <label>用户名 Username <input name="username" required pattern="[a-z][a-z0-9._-]{2,31}"></label>
        <label>姓名 Name <input name="displayName" required></label>
        <label>单位 Unit <select name="unit">{{#units}}<option value="{{id}}">{{name}}（{{code}}）</option>{{/units}}</select></label>
        <fieldset><legend>角色 Roles</legend>{{#allRoles}}<label class="check"><input type="checkbox" name="role" value="{{value}}">{{label}}</label>{{/allRoles}}</fieldset>
        <button type="submit">新增 Add</button>
        </form>
        """

    static let systems = """
        <table><thead><tr><th>系统 System</th><th>单位 Unit</th><th>角色 Roles</th><th>凭证 Credentials</th></tr></thead><tbody>
        {{#systems}}<tr><td>{{name}}<br><small>{{id}}</small></td><td>{{unit}}</td><td>{{roles}}</td>
        <td>{{#credentials}}<div><code>{{keyID}}</code> {{#revoked}}已吊销 revoked{{/revoked}}{{^revoked}}
        <form class="inline" method="post" action="/admin/credentials/{{keyID}}/revoke"><input type="hidden" name="_csrf" value="{{csrf}}"><button type="submit">吊销 Revoke</button></form>{{/revoked}}</div>{{/credentials}}
        <form method="post" action="/admin/systems/{{id}}/credentials"><input type="hidden" name="_csrf" value="{{csrf}}"><button type="submit">签发新凭证 Issue a credential</button></form></td></tr>{{/systems}}
        </tbody></table>
        <h2>新增系统 Add a system</h2>
        <form method="post" action="/admin/systems" class="card">
        <input type="hidden" name="_csrf" value="{{csrf}}">
        <label>名称 Name <input name="name" required></label>
        <label>单位 Unit <select name="unit">{{#units}}<option value="{{id}}">{{name}}（{{code}}）</option>{{/units}}</select></label>
        <fieldset><legend>角色 Roles</legend><label class="check"><input type="checkbox" name="role" value="provider_system">数源单位业务系统 provider system</label>
        <label class="check"><input type="checkbox" name="role" value="consumer_system">数据使用单位业务系统 consumer system</label></fieldset>
        <button type="submit">新增 Add</button>
        </form>
        """

    static let submissions = """
        {{#canUpload}}<form method="post" action="/submissions?_csrf={{csrf}}" enctype="multipart/form-data" class="card">
        <label>资源 Resource <select name="resource">{{#resources}}<option value="{{id}}">{{name}}（{{id}}）</option>{{/resources}}</select></label>
        <label>文件 File（CSV / XLSX / JSON）<input type="file" name="file" required></label>
        <button type="submit">上传 Upload</button>
        </form>{{/canUpload}}
        <table><thead><tr><th>批次 Batch</th><th>资源 Resource</th><th>单位 Unit</th><th>文件 File</th><th>状态 Status</th><th>总数 Rows</th><th>入库 Accepted</th><th>拒绝 Rejected</th><th>重复 Dup.</th><th>冲突 Conflicts</th><th>接收 Received</th></tr></thead><tbody>
        {{#batches}}<tr><td><a href="/submissions/{{batch}}">{{batch}}</a></td><td>{{resource}}</td><td><code>{{unit}}</code></td><td>{{file}}</td><td>{{status}}</td>
        <td>{{total}}</td><td>{{accepted}}</td><td>{{rejected}}</td><td>{{duplicate}}</td><td>{{conflict}}</td><td>{{received}}</td></tr>{{/batches}}
        </tbody></table>
        """

    static let receipt = """
        <p>资源 Resource: {{resource}} · 编码 Encoding: {{encoding}}{{#sheet}} · 工作表 Sheet: {{sheet}}{{/sheet}} · 状态 Status: <strong>{{status}}</strong></p>
        {{#batchProblems}}<p class="error"><code>{{code}}</code> {{message}}<br>{{messageEnglish}}</p>{{/batchProblems}}
        {{#missingColumns}}<p class="hint">文件没有的列 Columns the file lacks: {{missingColumns}}</p>{{/missingColumns}}
        {{#unknownColumns}}<p class="hint">未识别的列（已忽略）Unknown columns (ignored): {{unknownColumns}}</p>{{/unknownColumns}}
        <p>总数 {{total}} · 入库 {{accepted}}（含修正 {{fixed}}）· 拒绝 {{rejected}} · 重复 {{duplicate}} · 冲突 {{conflict}}</p>
        {{#problemsOmitted}}<p class="hint">另有 {{problemsOmitted}} 个问题行超出本批次逐行记录的上限，只计入了上面的数量（文件可能已损坏或用错了模板）。/ {{problemsOmitted}} more problem rows are counted above but not listed, past the batch's limit (the file may be damaged or the wrong template).</p>{{/problemsOmitted}}
        {{#quality}}<p>完整性 Completeness {{completeness}} · 有效性 Validity {{validity}} · 唯一性 Uniqueness {{uniqueness}}</p>{{/quality}}
        <p>{{#hasRejected}}<a href="/submissions/{{batch}}/rejected.csv">下载被拒绝的行（可在 Excel 中修改后重新提交）Download the rejected rows</a> · {{/hasRejected}}<a href="/submissions/{{batch}}/receipt.json">下载完整回执 Download the whole receipt (JSON)</a></p>
        <table><thead><tr><th>行 Row</th><th>结果 Result</th><th>问题 Issues</th></tr></thead><tbody>
        {{#problems}}<tr><td>{{row}}</td><td>{{status}}</td><td>{{#issues}}<div>{{#field}}<code>{{field}}</code> {{/field}}{{message}}</div>{{/issues}}</td></tr>{{/problems}}
        </tbody></table>
        {{#moreProblems}}<p>仅显示前 {{shown}} 个问题行，其余见完整回执。/ Only the first {{shown}} problem rows are shown; the whole receipt has the rest.</p>{{/moreProblems}}
        """

    static let conflicts = """
        <table><thead><tr><th>资源 Resource</th><th>业务主键 Business key</th><th>已入库 Stored</th><th>新报送 Incoming</th><th>处理 Resolve</th></tr></thead><tbody>
        {{#conflicts}}<tr><td>{{resource}}</td><td><code>{{key}}</code></td><td>{{storedSource}}<br><small>批次 {{storedBatch}} 第 {{storedRow}} 行</small></td>
        <td>{{incomingSource}}<br><small>批次 {{incomingBatch}} 第 {{incomingRow}} 行</small><details><summary>内容 Content</summary><pre>{{incomingData}}</pre></details></td>
        <td><form method="post" action="/conflicts/{{id}}/resolve"><input type="hidden" name="_csrf" value="{{csrf}}">
        <label>理由 Reason <input name="reason" required></label>
        <button name="keep" value="stored" type="submit">保留原记录 Keep stored</button>
        <button name="keep" value="incoming" type="submit">采用新报送 Accept incoming</button></form></td></tr>{{/conflicts}}
        </tbody></table>
        {{^conflicts}}<p>没有待处理的冲突。/ No open conflicts.</p>{{/conflicts}}
        """

    static let audit = """
        <form method="get" action="/audit" class="card search">
        <label>从 From <input name="from" type="date" value="{{from}}"></label>
        <label>至 To <input name="to" type="date" value="{{to}}"></label>
        <label>操作人或单位 Actor <input name="actor" value="{{actor}}"></label>
        <label>操作 Action <input name="action" value="{{action}}" placeholder="login"></label>
        <label>对象 Target <input name="target" value="{{target}}"></label>
        <button type="submit">查询 Search</button>
        </form>
        <p>链头 Chain head: {{head}} · 最近签名检查点 Last checkpoint: {{checkpoint}}</p>
        <table><thead><tr><th>#</th><th>时间 Time</th><th>操作人 Actor</th><th>地址 IP</th><th>操作 Action</th><th>对象 Target</th><th>结果 Outcome</th><th>详情 Details</th></tr></thead><tbody>
        {{#entries}}<tr><td>{{sequence}}</td><td>{{at}}</td><td>{{actor}}</td><td>{{ip}}</td><td>{{action}}</td><td>{{target}}</td><td>{{outcome}}</td><td><small>{{details}}</small></td></tr>{{/entries}}
        </tbody></table>
        """

    static let message = """
        <div class="card">{{#lines}}<p>{{.}}</p>{{/lines}}{{#secret}}<p class="secret"><code id="one-time-secret">{{secret}}</code></p><p class="hint">只显示这一次，请立即妥善交付。/ Shown once: hand it over now.</p>{{/secret}}
        <p><a href="{{back}}">返回 Back</a></p></div>
        """

    static let css = """
        body { font-family: system-ui, "PingFang SC", "Microsoft YaHei", sans-serif; margin: 0; color: #1d2733; background: #f5f7fa; }
        header { display: flex; flex-wrap: wrap; align-items: center; gap: 1rem; padding: .6rem 1.2rem; background: #153e75; color: #fff; }
        header a { color: #fff; text-decoration: none; margin-right: .8rem; } .brand { font-weight: 600; }
        main { padding: 1rem 1.5rem; max-width: 80rem; } .card { background: #fff; padding: 1rem; border-radius: 6px; max-width: 40rem; }
        label { display: block; margin: .5rem 0; } label.check { display: inline-block; margin-right: .6rem; } input, select { padding: .3rem; }
        table { border-collapse: collapse; background: #fff; width: 100%; margin: 1rem 0; } th, td { border: 1px solid #d7dde5; padding: .35rem; text-align: left; vertical-align: top; }
        .error { color: #a40000; } .notice { color: #1e6b2b; } .tag { background: #e1e8f2; padding: .1rem .4rem; border-radius: 3px; }
        .tiles { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: .8rem; } .tiles li { background: #fff; padding: .8rem; border-radius: 6px; min-width: 14rem; }
        form.inline { display: inline; } .who { margin-right: .5rem; } .secret code { font-size: 1.3rem; }
        """
}
