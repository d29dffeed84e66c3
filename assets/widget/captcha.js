/* tower-captcha widget: proof-of-work, text, slider and click-word captchas in one small script.
 *
 *   <link rel="stylesheet" href=".../captcha.css">
 *   <script src=".../captcha.js" defer></script>
 *   <div data-captcha="slider" data-scope="login"></div>
 *
 * Every [data-captcha] element is rendered when the page loads. Options (data-* attributes
 * or the second argument of TowerCaptcha.render): kind ("pow" | "text" | "slider" |
 * "click_word", or a kind of the app's own), scope, kinds (the kinds a person may switch to,
 * comma-separated; only those the server serves are offered), lang (en, zh, es, fr, de, pt,
 * it, ru, ja, ko, ar; by default the page's lang or the browser's; Arabic is mirrored, right
 * to left), field (the
 * hidden input's name, default "captcha_token"), authV1 (the native route, default
 * "/auth/v1/captcha/data": the only one the widget talks to), trail ("on" sends the drag
 * trail), submit ("form": the text kind has no Verify button; the typed
 * characters are verified when the enclosing form is submitted, in one action for the
 * person), onPass, onError. On success the pass is given to onPass, in a
 * "captcha:pass" event (detail.token) and in the hidden input; TowerCaptcha.fetch adds it as
 * x-captcha-token. A pass is single use: TowerCaptcha.fetch sends it once, forgets it and,
 * once the call has an answer, re-arms the widget with a new challenge (as Turnstile's
 * reset); TowerCaptcha.reset forgets it too, so TowerCaptcha.pass() is null until the person
 * passes again.
 *
 * kind "managed" lets the server choose from what it knows of the client: for a calm one a
 * proof of work, solved unseen; a picture after failures. mode ("invisible"): a proof of work
 * starts by itself, with start ("visible", the default: when the widget is on screen; "focus":
 * when the person starts filling the form), and the pass is ready by the time they submit;
 * a submit before that waits, with visible progress. No work runs while the page is hidden.
 * when ("required"): the widget stays hidden until a call through TowerCaptcha.fetch is
 * answered captcha_required (a pass only after failures); it then appears, for the scope the
 * answer names.
 *
 * A kind is shown by its puzzle's presentation, so a kind of the app's own needs nothing
 * here: "image" (a picture and a typed answer), "slider", "click" (a picture and what to
 * click, in order) and "work" (a checkbox: ticking it computes a proof of work, ALTCHA's
 * format, in Web Workers with WebCrypto; a page whose CSP forbids blob: workers computes it
 * on the page). When the server puts a price on pictures (it answers "x-captcha-work:
 * required"), the other kinds pay it the same way before showing their picture.
 */
(function () {
  "use strict";
  var W = 310, H = 155, PIECE = 47, MAX_X = W - PIECE, TRAIL_MAX = 64, TRAIL_KEEP = 4096;
  /* A kind's name as the server spells it ("click-word" was this widget's own spelling). */
  function kindName(k) { return String(k || "").trim().replace(/-/g, "_"); }
  /* The widget's strings in every language, copied from the crate's one catalogue
   * (assets/i18n/messages.json) by a test: edit the catalogue, not these lines. */
  /* strings: begin */
  var TEXT = {
    en: {"answer":"Type the answer the picture asks for","audioFailed":"The sound could not be played; try a new challenge.","audioHint":"Type the characters you hear. Each letter is said with a word that starts with it (\"C, Charlie\"); type only the letter.","busy":"The captcha service is busy; try again in a moment.","checking":"Checking that you are human…","clickWord":"Click in order:","expired":"That one expired, here is a new one.","image":"Captcha picture","input":"Characters","knob":"Slide the piece; arrow keys move it, Enter drops it","label":"Human check","listen":"Listen to the characters","loading":"Loading…","passed":"Verified, thank you.","paused":"Paused while the page is hidden.","pow":"I am not a robot","powHint":"Tick the box; your browser does a moment of work.","progress":"Verification progress","refresh":"New challenge","replay":"Play again","slider":"Drag the piece into the hole that matches it","switchKind":"Try another kind","text":"Type the characters in the picture","undo":"Undo last click","verify":"Verify","working":"Verifying…","wrong":"Not quite, here is a new one. Try again.","wrongLeft":"Not quite, try again ({n} left).","wrongText":"Those characters did not match; try again ({n} left)."},
    zh: {"answer":"请输入图中所问的答案","audioFailed":"无法播放声音，请换一张再试。","audioHint":"请输入听到的字符。每个字母后会读一个以它开头的英文单词（如 \"C, Charlie\"），只需输入字母。","busy":"验证服务繁忙，请稍后再试。","checking":"正在确认您是真人…","clickWord":"请依次点击：","expired":"验证码已过期，已换一张。","image":"验证码图片","input":"字符","knob":"拖动拼图块；方向键移动，回车确定","label":"人机验证","listen":"收听字符","loading":"加载中…","passed":"验证通过，谢谢。","paused":"页面隐藏时已暂停。","pow":"我不是机器人","powHint":"勾选此框，浏览器将完成一小段计算。","progress":"验证进度","refresh":"换一张","replay":"再听一遍","slider":"拖动拼图块到与它吻合的缺口","switchKind":"换一种验证方式","text":"请输入图中的字符","undo":"撤销上一次点击","verify":"验证","working":"验证中…","wrong":"验证失败，已换一张，请重试。","wrongLeft":"验证失败，请重试（还剩 {n} 次）。","wrongText":"输入的字符不对，请重试（还剩 {n} 次）。"},
    es: {"answer":"Escriba la respuesta que pide la imagen","audioFailed":"No se pudo reproducir el sonido; pruebe con un nuevo desafío.","audioHint":"Escriba los caracteres que oiga. Cada letra se dice junto con una palabra que empieza por ella (\"C, Charlie\"); escriba solo la letra.","busy":"El servicio de captcha está ocupado; inténtelo de nuevo en un momento.","checking":"Comprobando que es una persona…","clickWord":"Haga clic por orden en:","expired":"Este desafío ha caducado; aquí tiene uno nuevo.","image":"Imagen del captcha","input":"Caracteres","knob":"Deslice la pieza; las flechas la mueven y Intro la suelta","label":"Verificación humana","listen":"Escuchar los caracteres","loading":"Cargando…","passed":"Verificado, gracias.","paused":"En pausa mientras la página está oculta.","pow":"No soy un robot","powHint":"Marque la casilla; su navegador hará un breve cálculo.","progress":"Progreso de la verificación","refresh":"Nuevo desafío","replay":"Volver a reproducir","slider":"Arrastre la pieza al hueco que le corresponde","switchKind":"Probar otro tipo","text":"Escriba los caracteres de la imagen","undo":"Deshacer el último clic","verify":"Verificar","working":"Verificando…","wrong":"No es correcto; aquí tiene otro. Inténtelo de nuevo.","wrongLeft":"No es correcto; inténtelo de nuevo (intentos restantes: {n}).","wrongText":"Los caracteres no coinciden; inténtelo de nuevo (intentos restantes: {n})."},
    fr: {"answer":"Saisissez la réponse demandée par l'image","audioFailed":"Impossible de lire le son ; essayez un nouveau défi.","audioHint":"Saisissez les caractères entendus. Chaque lettre est dite avec un mot qui commence par elle (\"C, Charlie\") ; saisissez uniquement la lettre.","busy":"Le service captcha est surchargé ; réessayez dans un instant.","checking":"Nous vérifions que vous êtes humain…","clickWord":"Cliquez dans l'ordre sur :","expired":"Celui-ci a expiré, en voici un nouveau.","image":"Image du captcha","input":"Caractères","knob":"Faites glisser la pièce ; les flèches la déplacent, Entrée la dépose","label":"Vérification anti-robot","listen":"Écouter les caractères","loading":"Chargement…","passed":"Vérifié, merci.","paused":"En pause tant que la page est masquée.","pow":"Je ne suis pas un robot","powHint":"Cochez la case ; votre navigateur effectuera un bref calcul.","progress":"Progression de la vérification","refresh":"Nouveau défi","replay":"Réécouter","slider":"Faites glisser la pièce dans l'encoche correspondante","switchKind":"Essayer un autre type","text":"Saisissez les caractères de l'image","undo":"Annuler le dernier clic","verify":"Vérifier","working":"Vérification…","wrong":"Pas tout à fait, en voici un nouveau. Réessayez.","wrongLeft":"Pas tout à fait, réessayez (essais restants : {n}).","wrongText":"Les caractères ne correspondent pas ; réessayez (essais restants : {n})."},
    de: {"answer":"Geben Sie die Antwort ein, nach der das Bild fragt","audioFailed":"Der Ton konnte nicht abgespielt werden; versuchen Sie eine neue Aufgabe.","audioHint":"Geben Sie die Zeichen ein, die Sie hören. Jeder Buchstabe wird mit einem Wort genannt, das mit ihm beginnt (\"C, Charlie\"); geben Sie nur den Buchstaben ein.","busy":"Der Captcha-Dienst ist ausgelastet; versuchen Sie es gleich noch einmal.","checking":"Es wird geprüft, ob Sie ein Mensch sind…","clickWord":"Klicken Sie der Reihe nach auf:","expired":"Diese Aufgabe ist abgelaufen, hier ist eine neue.","image":"Captcha-Bild","input":"Zeichen","knob":"Teil verschieben; Pfeiltasten bewegen es, Eingabetaste setzt es ab","label":"Prüfung, ob Sie ein Mensch sind","listen":"Zeichen anhören","loading":"Wird geladen…","passed":"Verifiziert, vielen Dank.","paused":"Pausiert, solange die Seite ausgeblendet ist.","pow":"Ich bin kein Roboter","powHint":"Setzen Sie das Häkchen; Ihr Browser rechnet dann kurz.","progress":"Fortschritt der Überprüfung","refresh":"Neue Aufgabe","replay":"Erneut abspielen","slider":"Ziehen Sie das Teil in die passende Lücke","switchKind":"Andere Art versuchen","text":"Geben Sie die Zeichen im Bild ein","undo":"Letzten Klick rückgängig machen","verify":"Überprüfen","working":"Wird überprüft…","wrong":"Nicht ganz, hier ist eine neue Aufgabe. Versuchen Sie es erneut.","wrongLeft":"Nicht ganz, versuchen Sie es erneut (verbleibende Versuche: {n}).","wrongText":"Die Zeichen stimmen nicht überein; versuchen Sie es erneut (verbleibende Versuche: {n})."},
    pt: {"answer":"Digite a resposta que a imagem pede","audioFailed":"Não foi possível reproduzir o som; tente um novo desafio.","audioHint":"Digite os caracteres que você ouvir. Cada letra é dita com uma palavra que começa com ela (\"C, Charlie\"); digite apenas a letra.","busy":"O serviço de captcha está ocupado; tente novamente em instantes.","checking":"Verificando se você é humano…","clickWord":"Clique nesta ordem em:","expired":"Este desafio expirou; aqui está um novo.","image":"Imagem do captcha","input":"Caracteres","knob":"Deslize a peça; as setas a movem e Enter a solta","label":"Verificação humana","listen":"Ouvir os caracteres","loading":"Carregando…","passed":"Verificado, obrigado.","paused":"Pausado enquanto a página está oculta.","pow":"Não sou um robô","powHint":"Marque a caixa; seu navegador fará um breve cálculo.","progress":"Progresso da verificação","refresh":"Novo desafio","replay":"Ouvir novamente","slider":"Arraste a peça até o encaixe correspondente","switchKind":"Tentar outro tipo","text":"Digite os caracteres da imagem","undo":"Desfazer o último clique","verify":"Verificar","working":"Verificando…","wrong":"Não foi dessa vez, aqui está um novo. Tente novamente.","wrongLeft":"Não foi dessa vez, tente novamente (tentativas restantes: {n}).","wrongText":"Os caracteres não conferem; tente novamente (tentativas restantes: {n})."},
    it: {"answer":"Digiti la risposta richiesta dall'immagine","audioFailed":"Impossibile riprodurre l'audio; provi una nuova sfida.","audioHint":"Digiti i caratteri che sente. Ogni lettera è pronunciata insieme a una parola che inizia con essa (\"C, Charlie\"); digiti solo la lettera.","busy":"Il servizio captcha è occupato; riprovi tra un momento.","checking":"Verifichiamo che sia una persona…","clickWord":"Clicchi in ordine su:","expired":"Questa sfida è scaduta, eccone una nuova.","image":"Immagine captcha","input":"Caratteri","knob":"Trascini il tassello; le frecce lo spostano, Invio lo rilascia","label":"Verifica umana","listen":"Ascolta i caratteri","loading":"Caricamento…","passed":"Verificato, grazie.","paused":"In pausa mentre la pagina è nascosta.","pow":"Non sono un robot","powHint":"Selezioni la casella; il browser eseguirà un breve calcolo.","progress":"Avanzamento della verifica","refresh":"Nuova sfida","replay":"Riascolta","slider":"Trascini il tassello nello spazio corrispondente","switchKind":"Altro tipo di verifica","text":"Digiti i caratteri dell'immagine","undo":"Annulla l'ultimo clic","verify":"Verifica","working":"Verifica in corso…","wrong":"Non proprio, ecco una nuova sfida. Riprovi.","wrongLeft":"Non proprio, riprovi (tentativi rimasti: {n}).","wrongText":"I caratteri non corrispondono; riprovi (tentativi rimasti: {n})."},
    ru: {"answer":"Введите ответ на вопрос с картинки","audioFailed":"Не удалось воспроизвести звук; попробуйте новое задание.","audioHint":"Введите услышанные символы. Каждая буква произносится вместе со словом на эту букву (\"C, Charlie\"); вводите только букву.","busy":"Сервис капчи перегружен; повторите попытку чуть позже.","checking":"Проверяем, что вы человек…","clickWord":"Нажмите по порядку:","expired":"Срок действия задания истёк, вот новое.","image":"Изображение капчи","input":"Символы","knob":"Перемещайте фрагмент: стрелки двигают его, Enter отпускает","label":"Проверка на человека","listen":"Прослушать символы","loading":"Загрузка…","passed":"Проверка пройдена, спасибо.","paused":"Приостановлено, пока страница скрыта.","pow":"Я не робот","powHint":"Отметьте флажок; браузер выполнит короткое вычисление.","progress":"Ход проверки","refresh":"Новое задание","replay":"Прослушать ещё раз","slider":"Перетащите фрагмент в подходящий вырез","switchKind":"Другой тип проверки","text":"Введите символы с картинки","undo":"Отменить последний щелчок","verify":"Проверить","working":"Проверка…","wrong":"Не совсем так, вот новое задание. Попробуйте ещё раз.","wrongLeft":"Не совсем так, попробуйте ещё раз (осталось попыток: {n}).","wrongText":"Символы не совпадают; попробуйте ещё раз (осталось попыток: {n})."},
    ja: {"answer":"画像の問いへの答えを入力してください","audioFailed":"音声を再生できませんでした。新しい問題をお試しください。","audioHint":"聞こえた文字を入力してください。各文字は、その文字で始まる単語と一緒に読み上げられます（\"C, Charlie\"）。文字だけを入力してください。","busy":"キャプチャサービスが混み合っています。しばらくしてから再度お試しください。","checking":"人間であることを確認しています…","clickWord":"順番にクリックしてください：","expired":"有効期限が切れたため、新しい問題に切り替えました。","image":"キャプチャ画像","input":"文字","knob":"ピースをスライドします。矢印キーで移動、Enter キーで置きます","label":"人間であることの確認","listen":"文字を聞く","loading":"読み込み中…","passed":"確認できました。ありがとうございます。","paused":"ページが非表示の間は一時停止しています。","pow":"私はロボットではありません","powHint":"チェックを入れると、ブラウザが少しの間計算を行います。","progress":"確認の進行状況","refresh":"新しい問題","replay":"もう一度再生","slider":"ピースを形の合う穴までドラッグしてください","switchKind":"別の種類を試す","text":"画像の文字を入力してください","undo":"最後のクリックを取り消す","verify":"確認","working":"確認中…","wrong":"正しくありません。新しい問題に切り替えました。もう一度お試しください。","wrongLeft":"正しくありません。もう一度お試しください（残り {n} 回）。","wrongText":"文字が一致しません。もう一度お試しください（残り {n} 回）。"},
    ko: {"answer":"그림이 묻는 답을 입력해 주세요","audioFailed":"소리를 재생할 수 없습니다. 새 문제로 시도해 주세요.","audioHint":"들리는 문자를 입력해 주세요. 각 글자는 그 글자로 시작하는 단어와 함께 읽힙니다(\"C, Charlie\"). 글자만 입력해 주세요.","busy":"캡차 서비스가 혼잡합니다. 잠시 후 다시 시도해 주세요.","checking":"사람인지 확인하는 중…","clickWord":"순서대로 클릭해 주세요:","expired":"만료되어 새 문제로 바꿨습니다.","image":"캡차 이미지","input":"문자","knob":"조각을 밀어서 옮기세요. 화살표 키로 이동하고 Enter 키로 놓습니다","label":"사람 확인","listen":"문자 듣기","loading":"불러오는 중…","passed":"확인되었습니다. 감사합니다.","paused":"페이지가 숨겨져 있는 동안 일시 중지됩니다.","pow":"로봇이 아닙니다","powHint":"상자를 선택하면 브라우저가 잠시 계산을 수행합니다.","progress":"확인 진행률","refresh":"새 문제","replay":"다시 재생","slider":"조각을 모양이 맞는 빈칸으로 드래그해 주세요","switchKind":"다른 방식 시도","text":"그림 속 문자를 입력해 주세요","undo":"마지막 클릭 취소","verify":"확인","working":"확인 중…","wrong":"정답이 아닙니다. 새 문제로 바꿨습니다. 다시 시도해 주세요.","wrongLeft":"정답이 아닙니다. 다시 시도해 주세요(남은 횟수 {n}회).","wrongText":"문자가 일치하지 않습니다. 다시 시도해 주세요(남은 횟수 {n}회)."},
    ar: {"answer":"اكتب الإجابة التي تطلبها الصورة","audioFailed":"تعذّر تشغيل الصوت؛ جرّب تحديًا جديدًا.","audioHint":"اكتب الأحرف التي تسمعها. يُنطق كل حرف مع كلمة تبدأ به (\"C, Charlie\")؛ اكتب الحرف فقط.","busy":"خدمة الكابتشا مشغولة؛ حاول مرة أخرى بعد قليل.","checking":"جارٍ التحقق من أنك إنسان…","clickWord":"انقر بالترتيب على:","expired":"انتهت صلاحية هذا التحدي، إليك تحديًا جديدًا.","image":"صورة الكابتشا","input":"الأحرف","knob":"حرّك القطعة؛ تحرّكها مفاتيح الأسهم، ويُفلتها مفتاح Enter","label":"التحقق من أنك إنسان","listen":"الاستماع إلى الأحرف","loading":"جارٍ التحميل…","passed":"تم التحقق، شكرًا لك.","paused":"متوقف مؤقتًا أثناء إخفاء الصفحة.","pow":"أنا لست روبوتًا","powHint":"ضع علامة في المربع؛ سيُجري متصفحك عملية حسابية قصيرة.","progress":"تقدّم التحقق","refresh":"تحدٍّ جديد","replay":"إعادة التشغيل","slider":"اسحب القطعة إلى الفراغ المطابق لها","switchKind":"جرّب نوعًا آخر","text":"اكتب الأحرف الظاهرة في الصورة","undo":"التراجع عن آخر نقرة","verify":"تحقّق","working":"جارٍ التحقق…","wrong":"لم تنجح المحاولة، إليك تحديًا جديدًا. حاول مرة أخرى.","wrongLeft":"لم تنجح المحاولة، حاول مرة أخرى (المحاولات المتبقية: {n}).","wrongText":"الأحرف غير مطابقة؛ حاول مرة أخرى (المحاولات المتبقية: {n})."}
  };
  /* strings: end */
  /* Languages written right to left: the widget is mirrored (its pictures and slider are not). */
  var RTL = { ar: true };
  var lastPass = null, lastWidget = null, widgets = [];

  /* The trail as sent: at most TRAIL_MAX samples spread evenly over the whole drag, first
   * and last (the drop) always among them, however long or finely sampled the drag was. */
  function thinned(trail) {
    if (trail.length <= TRAIL_MAX) return trail;
    var out = [];
    for (var i = 0; i < TRAIL_MAX; i++) out.push(trail[Math.round(i * (trail.length - 1) / (TRAIL_MAX - 1))]);
    return out;
  }

  /* The first language we speak of: the option, data-lang, the page's lang, the browser's. */
  function pickLang(el, opts) {
    var wanted = [opts.lang, el.getAttribute("data-lang"), document.documentElement.lang]
      .concat(navigator.languages || [navigator.language]);
    for (var i = 0; i < wanted.length; i++) {
      var code = String(wanted[i] || "").split(/[-_]/)[0].toLowerCase();
      if (TEXT[code]) return code;
    }
    return "en";
  }

  function h(tag, attrs, children) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) {
      if (k === "text") e.textContent = attrs[k];
      else if (k.slice(0, 2) === "on") e.addEventListener(k.slice(2), attrs[k]);
      else e.setAttribute(k, attrs[k]);
    }
    (children || []).forEach(function (c) { if (c) e.appendChild(c); });
    return e;
  }

  function json(url, body, headers) {
    var init = { headers: headers || {} };
    if (body !== undefined) {
      init.method = "POST";
      init.headers["content-type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(url, init).then(function (r) {
      return r.json().then(function (j) {
        return { ok: r.ok, status: r.status, body: j, work: r.headers.get("x-captcha-work") === "required" };
      });
    });
  }

  /* Proof of work: find n in start, start + step, ... up to max with
   * sha256(salt + n) == target, in batches of WebCrypto digests; report progress. Runs in a
   * Web Worker (its source is this function's) or, failing that, on the page. */
  function search(d, post) {
    var enc = new TextEncoder(), batch = 256;
    function same(a, b) { for (var i = 0; i < 32; i++) if (a[i] !== b[i]) return false; return true; }
    function from(n) {
      if (d.stopped && d.stopped()) return;
      if (n > d.max) return post({ found: null });
      var jobs = [];
      for (var i = 0; i < batch && n + i * d.step <= d.max; i++) {
        jobs.push(crypto.subtle.digest("SHA-256", enc.encode(d.salt + (n + i * d.step))));
      }
      return Promise.all(jobs).then(function (digests) {
        for (var j = 0; j < digests.length; j++) {
          if (same(new Uint8Array(digests[j]), d.target)) return post({ found: n + j * d.step });
        }
        post({ done: digests.length });
        return from(n + batch * d.step);
      });
    }
    return from(d.start);
  }

  function hexBytes(hex) {
    var out = new Uint8Array(hex.length / 2);
    for (var i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
    return out;
  }

  /* Solves an ALTCHA challenge; resolves with the payload to submit (null if none, or when
   * ctl.stop() was called: the work is dropped). */
  function work(c, onProgress, ctl) {
    var started = performance.now(), count = Math.min(4, navigator.hardwareConcurrency || 2);
    var target = hexBytes(c.challenge), checked = 0, left = count, workers = [];
    if (performance.mark) performance.mark("tc:pow-start");
    return new Promise(function (resolve) {
      var finished = false;
      if (ctl) ctl.stop = function () {
        if (finished) return;
        finished = true;
        workers.forEach(function (w) { w.terminate(); });
        resolve(null);
      };
      function post(m) {
        if (finished) return;
        if (m.done) { checked += m.done; if (onProgress) onProgress(Math.min(0.99, checked / (c.maxnumber + 1))); return; }
        if (m.found === null && --left > 0) return;
        finished = true;
        workers.forEach(function (w) { w.terminate(); });
        if (m.found === null) return resolve(null);
        if (performance.mark) performance.mark("tc:pow-done");
        resolve(btoa(JSON.stringify({ algorithm: c.algorithm, challenge: c.challenge, number: m.found,
          salt: c.salt, signature: c.signature, took: Math.round(performance.now() - started) })));
      }
      /* Workers refused (a CSP without blob: workers: the constructor throws, or the worker
       * fails to load): the work runs on the page instead. */
      var onPage = false;
      function fallback(e) {
        if (e && e.preventDefault) e.preventDefault();
        if (onPage || finished) return;
        onPage = true;
        workers.forEach(function (w) { w.terminate(); });
        workers = []; left = 1;
        search({ salt: c.salt, target: target, start: 0, step: 1, max: c.maxnumber, stopped: function () { return finished; } }, post);
      }
      try {
        var url = URL.createObjectURL(new Blob(["var search = " + search + ";\nonmessage = function (e) { search(e.data, function (m) { postMessage(m); }); };"], { type: "text/javascript" }));
        for (var i = 0; i < count; i++) {
          var w = new Worker(url);
          w.onmessage = function (e) { post(e.data); };
          w.onerror = fallback;
          w.postMessage({ salt: c.salt, target: target, start: i, step: count, max: c.maxnumber });
          workers.push(w);
        }
      } catch (e) {
        fallback();
      }
    });
  }

  function Captcha(el, opts) {
    opts = opts || {};
    var data = el.dataset || {};
    this.el = el;
    this.opts = opts;
    this.kind = kindName(opts.kind || data.captcha) || "text";
    var wanted = opts.kinds || data.kinds;
    this.kinds = wanted ? wanted.split(",").map(kindName) : null;
    this.scope = opts.scope || data.scope || "";
    this.field = opts.field || data.field || "captcha_token";
    this.authV1 = opts.authV1 || data.authV1 || "/auth/v1/captcha/data";
    this.trailOn = (opts.trail || data.trail) === "on";
    this.submitMode = (opts.submit || data.submit) === "form";
    this.invisible = (opts.mode || data.mode) === "invisible" || this.kind === "managed";
    this.startOn = (opts.start || data.start) === "focus" ? "focus" : "visible";
    this.lang = pickLang(el, opts);
    this.t = TEXT[this.lang];
    widgets.push(this);
    if (this.submitMode) this.watchForm();
    this.ready = null;
    if ((opts.when || data.when) === "required") el.hidden = true;
    else this.wake();
  }

  /* Shows the widget (one that waited until a captcha was required), for `scope` when it has
   * none of its own; resolves once its first challenge is drawn. */
  Captcha.prototype.wake = function (scope) {
    var self = this;
    if (this.ready) return this.ready;
    this.el.hidden = false;
    if (scope && !this.scope) this.scope = scope;
    // Only kinds the server serves are offered (and a kind it does not serve is not shown).
    var kinds = json(this.authV1 + "/kinds");
    this.ready = kinds.then(function (r) {
      var served = r.ok && r.body.kinds ? r.body.kinds.slice() : [self.kind];
      self.audio = r.ok && r.body.audio ? r.body.audio : [];
      // "managed" is no kind of its own: the server picks one of those it serves.
      if (self.kind === "managed" && r.ok) served.unshift("managed");
      var kinds = (self.kinds || served).filter(function (k) { return served.indexOf(k) >= 0; });
      if (kinds.indexOf(self.kind) < 0 && served.indexOf(self.kind) < 0) self.kind = kinds[0] || served[0];
      if (kinds.indexOf(self.kind) < 0) kinds.unshift(self.kind);
      self.kinds = kinds;
    }, function () { self.kinds = [self.kind]; self.audio = []; }).then(function () {
      self.build();
      return self.load();
    });
    return this.ready;
  };

  /* Submit mode: a classic form posted with typed characters but no pass yet is held, the
   * characters verified, and the form submitted again with the pass in the hidden input.
   * Listening on the document, this runs after the page's own submit handlers: a page that
   * handles the submit itself (preventDefault) calls TowerCaptcha.solve() or
   * TowerCaptcha.fetch() instead. */
  Captcha.prototype.watchForm = function () {
    var self = this;
    document.addEventListener("submit", function (e) {
      var form = self.el.closest && self.el.closest("form");
      if (e.target !== form || e.defaultPrevented || self.pass || !document.contains(self.el)) return;
      e.preventDefault();
      var submitter = e.submitter;
      self.solve().then(function (pass) {
        if (!pass) return;
        if (form.requestSubmit) form.requestSubmit(submitter && submitter.form === form ? submitter : undefined);
        else form.submit();
      });
    });
  };

  /* This widget's pass: the one it holds, or (submit mode) the typed characters verified now;
   * null when there is neither (the widget then shows why). */
  Captcha.prototype.solve = function () {
    if (this.pass) return Promise.resolve(this.pass);
    // Invisible work not done yet: wait for it (started now if it had not), with progress.
    if (this.unseen) return this.unseen.run();
    var input = this.challenge && this.challenge.presentation === "image" && this.body.querySelector(".tc-input");
    if (this.submitMode && input && input.value.trim()) {
      return this.submit({ token: this.challenge.token, key: input.value });
    }
    if (this.submitMode && input) {
      // Nothing typed yet: say what is missing, where the person types it.
      this.say(this.t.text, "ready");
      input.focus();
    }
    return Promise.resolve(null);
  };

  /* The page's pass: the last one earned, or a submit-mode widget's typed characters verified. */
  function solve() {
    if (lastPass) return Promise.resolve(lastPass);
    var pending = widgets.filter(function (w) { return (w.submitMode || w.unseen) && document.contains(w.el); })[0];
    return pending ? pending.solve() : Promise.resolve(null);
  }

  Captcha.prototype.build = function () {
    var self = this, t = this.t;
    this.el.classList.add("tc");
    this.el.setAttribute("lang", this.lang);
    this.el.setAttribute("dir", RTL[this.lang] ? "rtl" : "ltr");
    this.el.setAttribute("role", "group");
    this.el.setAttribute("aria-label", t.label);
    this.el.textContent = "";
    this.prompt = h("div", { class: "tc-prompt", id: uid("tc-prompt") });
    this.body = h("div", { class: "tc-body" });
    this.status = h("div", { class: "tc-status", role: "status", "aria-live": "polite" });
    this.hidden = h("input", { type: "hidden", name: this.field });
    var refresh = h("button", { type: "button", class: "tc-refresh", "aria-label": t.refresh, title: t.refresh, text: "\u21bb", onclick: function () { self.load(); } });
    var tools = [refresh];
    if (this.kinds.length > 1) {
      tools.push(h("button", { type: "button", class: "tc-switch", text: t.switchKind, onclick: function () { self.switchKind(); } }));
    }
    this.el.appendChild(this.prompt);
    this.el.appendChild(this.body);
    this.el.appendChild(h("div", { class: "tc-foot" }, [this.status, h("div", { class: "tc-tools" }, tools)]));
    this.el.appendChild(this.hidden);
  };

  Captcha.prototype.say = function (text, state) {
    this.status.textContent = text || "";
    this.el.setAttribute("data-state", state || "");
  };

  Captcha.prototype.switchKind = function () {
    var i = this.kinds.indexOf(this.kind);
    this.kind = this.kinds[(i + 1) % this.kinds.length];
    this.load();
    var knob = this.body.querySelector("[tabindex], input, button");
    if (knob) knob.focus();
  };

  /* Forgets this widget's pass (and the page's, if it is that one) and shows a new challenge. */
  Captcha.prototype.forget = function () {
    if (this.pass && lastPass === this.pass) { lastPass = null; lastWidget = null; }
    this.hidden.value = "";
    this.pass = null;
  };

  Captcha.prototype.reset = function () {
    this.forget();
    return this.load();
  };

  Captcha.prototype.query = function (kind) {
    return "?kind=" + encodeURIComponent(kind) + (this.scope ? "&scope=" + encodeURIComponent(this.scope) : "");
  };

  /* Fetches a challenge of this kind, paying for the picture with a proof of work first when
   * the server asks for one. */
  Captcha.prototype.fetchChallenge = function (headers) {
    var self = this;
    return json(this.authV1 + this.query(this.kind), undefined, headers).then(function (r) {
      if (!r.work || headers) return r;
      return json(self.authV1 + "?kind=pow").then(function (p) {
        if (!p.ok) return p;
        return work(p.body).then(function (payload) {
          return payload ? self.fetchChallenge({ "x-captcha-work": payload }) : r;
        });
      });
    });
  };

  Captcha.prototype.load = function () {
    var self = this;
    clearTimeout(this.timer);
    if (this.unseen) this.unseen.drop();
    this.unseen = null;
    this.challenge = null;
    this.el.setAttribute("data-kind", this.kind);
    this.el.removeAttribute("data-token");
    this.el.removeAttribute("aria-busy");
    this.say(this.t.loading, "loading");
    // Only the newest load draws: a slower answer to an earlier one (the person switched kind
    // meanwhile) is dropped.
    var seq = this.loads = (this.loads || 0) + 1;
    return this.fetchChallenge().then(function (r) {
      if (seq !== self.loads) return;
      var c = r.ok ? r.body : null;
      var draw = c && self["draw_" + c.presentation];
      if (!draw) return self.fail(r);
      self.challenge = c;
      self.el.setAttribute("data-token", c.token);
      if (c.kind) self.el.setAttribute("data-shown", c.kind);
      self.say("", "ready");
      draw.call(self, c);
      if (window.performance && performance.mark) performance.mark("tc:drawn");
      // Challenges last five minutes: fetch a fresh one a little before.
      self.timer = setTimeout(function () { self.load(); }, 280000);
    }, function () { if (seq === self.loads) self.say(self.t.busy, "error"); });
  };

  Captcha.prototype.frame = function (children) {
    return h("div", { class: "tc-frame" }, children);
  };

  /* A picture and a typed answer: the text kind, or any kind that asks for one. */
  Captcha.prototype.draw_image = function (c) {
    var self = this, t = this.t;
    this.prompt.textContent = c.kind === "text" ? t.text : t.answer;
    var input = h("input", { class: "tc-input", dir: "ltr", "aria-label": t.input, autocomplete: "off", autocapitalize: "characters", spellcheck: "false", maxlength: "6", enterkeyhint: "done" });
    var go = function () { self.submit({ token: c.token, key: input.value }); };
    // Submit mode: Enter submits the form, which verifies; no button of its own.
    if (!this.submitMode) input.addEventListener("keydown", function (e) { if (e.key === "Enter") { e.preventDefault(); go(); } });
    this.body.textContent = "";
    this.body.appendChild(h("div", { class: "tc-text" }, [
      h("img", { class: "tc-text-img", src: c.image, alt: t.image + ": " + this.prompt.textContent }),
      input,
      this.audio && this.audio.indexOf(c.kind) >= 0 ? this.listenButton(c) : null,
      this.submitMode ? null : h("button", { type: "button", class: "tc-go", text: t.verify, onclick: go })
    ]));
  };

  /* A loudspeaker, drawn (no emoji font needed). */
  function speaker() {
    var ns = "http://www.w3.org/2000/svg", svg = document.createElementNS(ns, "svg"), path = document.createElementNS(ns, "path");
    [["viewBox", "0 0 24 24"], ["width", "18"], ["height", "18"], ["aria-hidden", "true"], ["focusable", "false"]]
      .forEach(function (a) { svg.setAttribute(a[0], a[1]); });
    path.setAttribute("d", "M3 9v6h4l5 5V4L7 9H3zm13.5 3A4.5 4.5 0 0 0 14 8v8a4.5 4.5 0 0 0 2.5-4zM14 3.2v2.1a7 7 0 0 1 0 13.4v2.1a9 9 0 0 0 0-17.6z");
    path.setAttribute("fill", "currentColor");
    svg.appendChild(path);
    return svg;
  }

  /* The challenge spoken (the same answer as its picture): a button that plays it, then
   * plays it again; what to type is said in the prompt once it has played. */
  Captcha.prototype.listenButton = function (c) {
    var self = this, t = this.t, sound = null;
    var button = h("button", { type: "button", class: "tc-listen", "aria-label": t.listen, title: t.listen }, [
      speaker(), h("span", { class: "tc-listen-label", text: t.listen })
    ]);
    button.addEventListener("click", function () {
      if (!sound) {
        sound = new Audio(self.authV1 + "/audio?token=" + encodeURIComponent(c.token));
        sound.addEventListener("error", function () { self.say(t.audioFailed, "error"); });
        sound.addEventListener("play", function () {
          self.prompt.textContent = t.audioHint;
          button.setAttribute("aria-label", t.replay);
          button.title = t.replay;
          button.lastChild.textContent = t.replay;
          self.el.setAttribute("data-audio", "played");
        });
      }
      sound.currentTime = 0;
      var played = sound.play();
      if (played && played.catch) played.catch(function () { self.say(t.audioFailed, "error"); });
    });
    return button;
  };

  Captcha.prototype.draw_work = function (c) {
    if (this.invisible) return this.draw_unseen(c);
    var self = this, t = this.t;
    this.prompt.textContent = t.powHint;
    var box = h("button", { type: "button", class: "tc-check", role: "checkbox", "aria-checked": "false" }, [
      h("span", { class: "tc-box", "aria-hidden": "true" }), h("span", { class: "tc-check-label", text: t.pow })
    ]);
    var bar = h("div", { class: "tc-progress", role: "progressbar", "aria-label": t.progress, "aria-valuemin": "0", "aria-valuemax": "100", "aria-valuenow": "0", hidden: "" }, [h("span")]);
    box.addEventListener("click", function () {
      if (self.busy || self.pass) return;
      self.busy = true;
      box.setAttribute("aria-checked", "mixed");
      self.el.setAttribute("aria-busy", "true");
      bar.removeAttribute("hidden");
      self.say(t.working, "verifying");
      work(c, function (share) {
        var pct = Math.round(share * 100);
        bar.firstChild.style.width = pct + "%";
        bar.setAttribute("aria-valuenow", String(pct));
      }).then(function (payload) {
        self.busy = false;
        self.el.removeAttribute("aria-busy");
        if (!payload) { box.setAttribute("aria-checked", "false"); return self.load(); }
        self.submit({ payload: payload });
      });
    });
    this.body.textContent = "";
    this.body.appendChild(h("div", { class: "tc-pow" }, [box, bar]));
  };

  /* A proof of work nobody has to click: it runs when the widget is on screen (or when the
   * person starts filling the form), never while the page is hidden; run() starts it if it
   * has not started and resolves to the pass. */
  Captcha.prototype.draw_unseen = function (c) {
    var self = this, t = this.t, ctl = {}, running = null, wanted = false, observer = null;
    var paused = false, waiters = [];
    // Everyone waiting for this challenge's pass gets it (or null when there will be none).
    function settle(pass) {
      var w = waiters;
      waiters = [];
      w.forEach(function (resolve) { resolve(pass); });
    }
    this.prompt.textContent = "";
    this.el.setAttribute("data-mode", "invisible");
    var bar = h("div", { class: "tc-progress", role: "progressbar", "aria-label": t.progress, "aria-valuemin": "0", "aria-valuemax": "100", "aria-valuenow": "0" }, [h("span")]);
    this.body.textContent = "";
    this.body.appendChild(h("div", { class: "tc-pow" }, [bar]));
    this.say(t.checking, "ready");
    function progress(share) {
      var pct = Math.round(share * 100);
      bar.firstChild.style.width = pct + "%";
      bar.setAttribute("aria-valuenow", String(pct));
    }
    function begin() {
      wanted = true;
      if (running || self.pass || document.hidden) return running;
      self.el.setAttribute("aria-busy", "true");
      self.say(t.checking, "verifying");
      if (window.performance && performance.mark) performance.mark("tc:unseen-start");
      running = work(c, progress, ctl).then(function (payload) {
        self.el.removeAttribute("aria-busy");
        running = null;
        // Paused (the page was hidden): whoever waits goes on waiting for the resume.
        if (!payload) { if (!paused) settle(null); return null; }
        return self.submit({ payload: payload }).then(function (pass) { settle(pass); return pass; });
      });
      return running;
    }
    function visibility() {
      if (document.hidden && running && !self.pass) {
        paused = true;
        if (ctl.stop) ctl.stop();
        self.say(t.paused, "ready");
      } else if (!document.hidden && wanted && !running && !self.pass) {
        paused = false;
        begin();
      }
    }
    document.addEventListener("visibilitychange", visibility);
    var form = this.el.closest && this.el.closest("form");
    function focused() { begin(); }
    if (this.startOn === "focus") (form || this.el).addEventListener("focusin", focused);
    else if (window.IntersectionObserver) {
      observer = new IntersectionObserver(function (entries) {
        if (entries.some(function (e) { return e.isIntersecting; })) begin();
      });
      observer.observe(this.el);
    } else begin();
    this.unseen = {
      run: function () {
        if (self.pass) return Promise.resolve(self.pass);
        return new Promise(function (resolve) {
          waiters.push(resolve);
          // Started now if it had not (or once the page is shown again).
          begin();
        });
      },
      drop: function () {
        settle(null);
        if (ctl.stop) ctl.stop();
        document.removeEventListener("visibilitychange", visibility);
        if (form) form.removeEventListener("focusin", focused);
        self.el.removeEventListener("focusin", focused);
        if (observer) observer.disconnect();
      }
    };
  };

  Captcha.prototype.draw_slider = function (c) {
    var self = this, t = this.t, x = 0, start = 0, dragging = false, trail = [];
    this.prompt.textContent = t.slider;
    var bg = h("img", { class: "tc-bg", src: c.image, alt: t.image, draggable: "false" });
    var piece = h("img", { class: "tc-piece", src: c.piece, alt: "", draggable: "false" });
    var frame = this.frame([bg, piece]);
    var knob = h("div", { class: "tc-knob", role: "slider", tabindex: "0", "aria-label": t.knob, "aria-valuemin": "0", "aria-valuemax": String(MAX_X), "aria-valuenow": "0", text: "\u2192" });
    var track = h("div", { class: "tc-track" }, [knob]);
    function scale() { return W / (frame.clientWidth || W); }
    function place(nx) {
      x = Math.max(0, Math.min(MAX_X, nx));
      var share = (x / W) * 100;
      piece.style.left = share + "%";
      knob.style.left = share + "%";
      knob.setAttribute("aria-valuenow", String(Math.round(x)));
    }
    function record(e) {
      // Bounded: when full, every other sample goes (first and newest kept), so the trail
      // still spans the whole drag and ends at the drop.
      if (trail.length >= TRAIL_KEEP) trail = trail.filter(function (_, i) { return i % 2 === 0; });
      trail.push([Math.round(performance.now() - start), Math.round(x * 100) / 100, Math.round((e ? e.clientY : 0) * scale() * 100) / 100]);
    }
    function down(e) {
      if (self.busy) return;
      dragging = true; start = performance.now(); trail = [];
      self.grab = e.clientX - x / scale();
      (e.target.setPointerCapture ? e.target : knob).setPointerCapture(e.pointerId);
      record(e);
      e.preventDefault();
    }
    function move(e) {
      if (!dragging) return;
      place((e.clientX - self.grab) * scale());
      record(e);
    }
    function up(e) {
      if (!dragging) return;
      dragging = false;
      record(e);
      drop();
    }
    function drop() {
      var body = { token: c.token, point: { x: Math.round(x * 1000) / 1000, y: 5 } };
      if (self.trailOn && trail.length) body.trail = thinned(trail);
      self.submit(body);
    }
    [knob, piece].forEach(function (el) {
      el.addEventListener("pointerdown", down);
      el.addEventListener("pointermove", move);
      el.addEventListener("pointerup", up);
      el.addEventListener("pointercancel", up);
    });
    knob.addEventListener("keydown", function (e) {
      var step = e.shiftKey ? 10 : 1;
      if (e.key === "ArrowRight" || e.key === "ArrowUp") place(x + step);
      else if (e.key === "ArrowLeft" || e.key === "ArrowDown") place(x - step);
      else if (e.key === "Home") place(0);
      else if (e.key === "End") place(MAX_X);
      else if (e.key === "Enter" || e.key === " ") { trail = []; drop(); }
      else return;
      e.preventDefault();
    });
    this.body.textContent = "";
    this.body.appendChild(frame);
    this.body.appendChild(track);
    place(0);
  };

  /* A picture and what to click in it, in order: click-word, or any kind that asks for clicks. */
  Captcha.prototype.draw_click = function (c) {
    var self = this, t = this.t, clicks = [];
    this.prompt.textContent = t.clickWord + " " + c.words.join(" ");
    var img = h("img", { class: "tc-bg", src: c.image, alt: t.image + ". " + t.clickWord + " " + c.words.join(" ") });
    var frame = this.frame([img]);
    var undo = h("button", { type: "button", class: "tc-undo", text: t.undo, onclick: function () {
      var last = clicks.pop();
      if (last) frame.removeChild(last.mark);
    } });
    frame.addEventListener("click", function (e) {
      if (self.busy || clicks.length >= 3 || e.target === undo) return;
      var r = frame.getBoundingClientRect();
      var p = { x: Math.round((e.clientX - r.left) * W / r.width), y: Math.round((e.clientY - r.top) * H / r.height) };
      var mark = h("span", { class: "tc-mark", text: String(clicks.length + 1), style: "left:" + (p.x / W * 100) + "%;top:" + (p.y / H * 100) + "%" });
      frame.appendChild(mark);
      clicks.push({ x: p.x, y: p.y, mark: mark });
      if (clicks.length === 3) {
        self.submit({ token: c.token, points: clicks.map(function (k) { return { x: k.x, y: k.y }; }) });
      }
    });
    this.body.textContent = "";
    this.body.appendChild(frame);
    this.body.appendChild(h("div", { class: "tc-row" }, [undo]));
  };

  /* Sends a solution; resolves to the pass, or null (the widget shows why). */
  Captcha.prototype.submit = function (body) {
    var self = this, t = this.t;
    // A solution already on its way: the same answer for every caller.
    if (this.busy) return this.pending || Promise.resolve(null);
    this.busy = true;
    this.pending = json(this.authV1 + "/verify", body).then(function (r) {
      self.busy = false;
      self.pending = null;
      var pass = r.ok ? r.body.captcha_token : null;
      if (pass) { self.passed(pass); return pass; }
      self.fail(r);
      return null;
    }, function () { self.busy = false; self.pending = null; self.say(t.busy, "error"); return null; });
    return this.pending;
  };

  Captcha.prototype.passed = function (pass) {
    clearTimeout(this.timer);
    if (window.performance && performance.mark) performance.mark("tc:pass");
    this.pass = pass;
    lastPass = pass;
    lastWidget = this;
    this.hidden.value = pass;
    this.say(this.t.passed, "passed");
    var box = this.body.querySelector(".tc-check");
    if (box) box.setAttribute("aria-checked", "true");
    this.body.querySelectorAll("input, button, [tabindex]").forEach(function (e) { e.setAttribute("disabled", ""); e.setAttribute("tabindex", "-1"); });
    if (this.opts.onPass) this.opts.onPass(pass);
    this.el.dispatchEvent(new CustomEvent("captcha:pass", { bubbles: true, detail: { token: pass, kind: this.kind } }));
  };

  Captcha.prototype.fail = function (r) {
    var t = this.t, b = (r && r.body) || {};
    var code = b.error;
    if (this.opts.onError) this.opts.onError(code || "network");
    this.el.dispatchEvent(new CustomEvent("captcha:error", { bubbles: true, detail: { code: code, kind: this.kind } }));
    var shown = this.challenge && this.challenge.presentation;
    if (code === "invalid_captcha" && b.attempts_left > 0 && shown !== "work") {
      this.say((shown === "image" ? t.wrongText : t.wrongLeft).replace("{n}", b.attempts_left), "wrong");
      var input = this.body.querySelector("input");
      if (input) { input.value = ""; input.focus(); }
      return;
    }
    var self = this;
    var message = code === "captcha_expired" ? t.expired
      : code === "invalid_captcha" || code === "captcha_used" ? t.wrong
      : t.busy;
    var state = message === t.expired ? "expired" : message === t.wrong ? "wrong" : "error";
    if (state === "error") return this.say(message, state);
    this.load().then(function () { self.say(message, state); });
  };

  var n = 0;
  function uid(p) { n += 1; return p + "-" + n; }

  function render(el, opts) {
    if (typeof el === "string") el = document.querySelector(el);
    if (!el) return null;
    if (el.towerCaptcha) return el.towerCaptcha;
    el.towerCaptcha = new Captcha(el, opts);
    return el.towerCaptcha;
  }

  window.TowerCaptcha = {
    render: render,
    reset: function (el) {
      var c = (typeof el === "string" ? document.querySelector(el) : el);
      c = c && c.towerCaptcha;
      if (c) c.reset();
    },
    pass: function () { return lastPass; },
    /* A promise of the page's pass: the one earned, or a submit-mode text widget's typed
     * characters verified now; null when there is none (the widget says why). */
    solve: solve,
    /* fetch() with the page's pass as x-captcha-token: the pass is sent once and forgotten,
     * and its widget shows a new challenge once the call has an answer. */
    fetch: function (url, init) {
      return solve().then(function () {
        init = init || {};
        var headers = new Headers(init.headers || {});
        var widget = lastWidget;
        if (lastPass) headers.set("x-captcha-token", lastPass);
        if (widget) widget.forget();
        lastPass = null; lastWidget = null;
        init.headers = headers;
        var rearm = function () { if (widget && !widget.pass) widget.load(); };
        return fetch(url, init).then(function (r) {
          rearm();
          if (r.status !== 401) return r;
          // A pass only after failures: the answer says one is needed now, and for which scope.
          return r.clone().json().then(function (b) {
            if (b && b.error === "captcha_required") {
              widgets.forEach(function (w) { if (!w.ready && document.contains(w.el)) w.wake(b.scope); });
            }
            return r;
          }, function () { return r; });
        }, function (e) { rearm(); throw e; });
      });
    }
  };

  function auto() {
    document.querySelectorAll("[data-captcha]").forEach(function (el) { render(el); });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", auto);
  else auto();
})();
