var e,t,n,r,i,a,o,s,c,l,u=Symbol.for(`pv`),d={},f=[],p=/^m(i|n|o|s|text|space)$/,m=Array.isArray,h=f.slice,g=Object.assign;function _(e){e&&e.parentNode&&e.remove()}function v(n,r,i,a,o){var s={type:n,props:r,key:i,ref:a,__k:null,__:null,__b:0,__e:null,__c:null,constructor:u,__v:o||++t,__i:-1,__u:0};return!o&&e.vnode&&e.vnode(s),s}function y(e){return e.children}function b(e,t){this.props=e,this.context=t,this.__g=0}function x(e,t){if(t==null)return e.__&&x(e.__,e.__i+1);for(var n;t<e.__k.length;t++)if((n=e.__k[t])&&n.__e)return n.__e;return typeof e.type!=`function`||e.props.__P?null:x(e)}function S(t){var n,r=t.__v,i=r.__e,a=[],o=[],s=t.__P;s&&((n=g({constructor:u},r)).__v=r.__v+1,e.vnode&&e.vnode(n),ie(s,n,r,t.__n,s.namespaceURI,32&r.__u?[i]:null,a,i||x(r),32&r.__u,o),n.__v=r.__v,n.__.__k[n.__i]=n,k(a,n,o),r.__=r.__e=null,n.__e!=i&&C(n))}function C(e){if((e=e.__)&&e.__c&&!e.props.__P)return e.__e=null,e.__k.some(function(t){return t&&(e.__e=t.__e)}),C(e)}function w(t){(8&t.__g||(t.__g|=8,n.push(t),i++))&&r==e.debounceRendering||((r=e.debounceRendering)||queueMicrotask)(T)}function T(){try{for(var e,t=1;n.length;)n.length>t&&n.sort(a),e=n.shift(),t=n.length,8&e.__g&&S(e)}finally{(i=n.length)&&(r||queueMicrotask)(T)}}function ee(e,t,n,r,i,a,o,s,c,l,u){var p,m,h,g,_,v,y=r.__k||f,b=t.length;for(c=E(n,t,y,c,b),p=0;p<b;p++)(h=n.__k[p])!=null&&(m=~h.__i&&y[h.__i]||d,h.__i=p,v=ie(e,h,m,i,a,o,s,c,l,u),g=h.__e,(m.ref!=h.ref||8&m.__u)&&(m.ref&&ce(m.ref,null,h,m),h.ref&&u.push(h.ref,h.__c||g,h)),_||=g,4&h.__u?(c=D(h,c,e,!m.__v),m.__e&&(m.__e=null)):typeof h.type==`function`&&v!==void 0?c=v:g&&(c=g.nextSibling),h.__u&=-21);return n.__e=_,c}function E(e,t,n,r,i){var a,o,s,c,l,d,f,p,h,g=n.length,_=g,b=0,S=0,C=e.__k=Array(i);for(a=0;a<i;a++)(o=t[a])!=null&&typeof o!=`boolean`&&typeof o!=`function`?(typeof o!=`object`||o.constructor===String?o=C[a]=v(null,o):m(o)?o=C[a]=v(y,{children:o}):o.constructor===u&&o.__b?o=C[a]=v(o.type,o.props,o.key,o.ref,o.__v):C[a]=o,c=a+b,o.__=e,o.__b=e.__b+1,s=null,~(l=o.__i=te(o,n,c,_))&&(_--,(s=n[l])&&(s.__u|=2)),s&&s.__v?(o.__u|=16,l==c-1?b--:l==c+1?b++:l!=c&&(l>c?b--:b++,S=1)):(~l||(i>g?b--:i<g&&b++),typeof o.type!=`function`&&(o.__u|=4))):C[a]=null;if(S){for(d=[],f=[],a=0;a<i;a++)if((o=C[a])&&16&o.__u){for(b=0,p=d.length;b<p;)d[h=b+p>>1]<o.__i?b=h+1:p=h;d[b]=o.__i,f[a]=b+1}for(b=d.length;a--;)f[a]&&(f[a]==b?b--:C[a].__u|=4)}if(_)for(a=0;a<g;a++)!(s=n[a])||2&s.__u||(s.__e==r&&(r=x(s)),le(s,s));return r}function D(e,t,n,r){var i,a,o,s;if(typeof e.type==`function`){if(e.props.__P)return t;if(i=e.__k)for(a=0;a<i.length;a++)i[a]&&(i[a].__=e,t=D(i[a],t,n,!1));return t}for(t&&!t.parentNode&&(t=x(e))&&!t.parentNode&&(t=null),o=e.__e,s=t;s&&s.nodeType==8;)s=s.nextSibling;for(o!=s&&(!r&&n.moveBefore&&o.parentNode?n.moveBefore(o,t):n.insertBefore(o,t||null)),t=o;(t&&=t.nextSibling)&&t.nodeType==8&&!t.data.startsWith(`$s`););return t}function te(e,t,n,r){var i,a=e.key,o=e.type,s=t[n],c=s&&!(2&s.__u);if(s===null&&a==null||c&&a==s.key&&o==s.type)return n;if(r>+!!c){for(i=n-1;i>=0;i--)if((s=t[i])&&!(2&s.__u)&&a==s.key&&o==s.type)return i;for(i=n+1;i<t.length;i++)if((s=t[i])&&!(2&s.__u)&&a==s.key&&o==s.type)return i}return-1}function O(e,t,n){n??=``,t[0]==`-`?e.setProperty(t,n):e[t]=n}function ne(e,t,n,r,i){var a,o;if(t==`style`){if(typeof n==`string`)e.style.cssText=n;else{if(typeof r==`string`&&(e.style.cssText=r=``),r)for(t in r)n&&t in n||O(e.style,t);if(n)for(t in n)r&&n[t]==r[t]||O(e.style,t,n[t])}}else if(t[0]==`o`&&t[1]==`n`)typeof n!=`function`&&(n=null),typeof r!=`function`&&(r=null),(e.__e||={})[t]=n,n&&r||(o=l[t]||(l[t]=re(t)),(e.__a||={})[t]=c,a=t!=(t=t.replace(s,`$1`)),(t=t.slice(2))[0]<`a`&&(t=t.toLowerCase()),n?e.addEventListener(t,o,a):e.removeEventListener(t,o,a));else{if(i==`http://www.w3.org/2000/svg`)t=t.replace(/xlink(H|:h)/,`h`).replace(/sName$/,`s`);else if(t!=`width`&&t!=`height`&&t!=`href`&&t!=`list`&&t!=`form`&&t!=`tabIndex`&&t!=`download`&&t!=`rowSpan`&&t!=`colSpan`&&t!=`role`&&t!=`popover`&&t in e)try{e[t]=n??``;return}catch{}if(typeof n==`function`)return;n==null||!1===n&&t[4]!=`-`?e.removeAttribute(t):e.setAttribute(t,t==`popover`&&n==1?``:n)}}function re(t){return function(n){var r=this.__e;if(r){if(r=r[t],n[o]==null)n[o]=c++;else if(n[o]<this.__a[t])return;return r(e.event?e.event(n):n)}}}function ie(t,n,r,i,a,o,s,c,l,d){var p,h,v,S,C,w,T,E,D,te,O,ne,re,ie,k,ce,A,j,M=n.type;if(n.constructor!==u)return null;128&r.__u&&(l=32&r.__u,p=r.__c.__z)&&(n.__u|=l,h=o=[],p.nodeType==8?c=ae(p,o):o.push(p),c=o[0]||c),(p=e.__b)&&p(n);e:if(typeof M==`function`){v=s.length;try{if(E=n.props,D=(p=M.prototype)&&p.render,te=(p=M.contextType)&&i[p.__c],O=p?te?te.props.value:p.__:i,(S=r.__c)?(n.__c=S,2&S.__g&&(S.__g|=1)):(D?n.__c=S=new M(E,O):(n.__c=S=new b(E,O),S.constructor=M,S.render=ue),te&&te.sub(S),S.state||(S.state={}),S.__n=i,S.__g|=8,S.__h=[],S.__k=[]),D&&(S.__s||(S.__s=S.state),M.getDerivedStateFromProps&&(S.__s==S.state&&(S.__s=g({},S.__s)),g(S.__s,M.getDerivedStateFromProps(E,S.__s)))),C=S.props,w=S.state,S.__v=n,r.__c){if(E!==C&&D&&!M.getDerivedStateFromProps&&S.componentWillReceiveProps&&S.componentWillReceiveProps(E,O),n.__v==r.__v&&!(8&S.__g)||!(4&S.__g)&&S.shouldComponentUpdate&&!1===S.shouldComponentUpdate(E,S.__s,O)){n.__v!=r.__v&&(S.props=E,S.state=S.__s,S.__g&=-9),n.__e=r.__e,n.__k=r.__k,n.__k.some(function(e){e&&(e.__=n)}),f.push.apply(S.__h,S.__k),S.__k=[],S.__h.length&&s.push(S),c=x(r);break e}S.componentWillUpdate&&S.componentWillUpdate(E,S.__s,O),D&&S.componentDidUpdate&&S.__h.push(function(){S.componentDidUpdate(C,w,T)})}else D&&!M.getDerivedStateFromProps&&S.componentWillMount&&S.componentWillMount(),D&&S.componentDidMount&&S.__h.push(S.componentDidMount);S.context=O,S.props=E,S.__P=t,S.__g&=-5,ne=e.__r,re=D?25:0;do S.__g&=-9,ne&&ne(n),p=S.render(S.props,S.state=S.__s,S.context);while(8&S.__g&&++re<25);D&&(f.push.apply(S.__h,S.__k),S.__k=[]),S.state=S.__s,S.getChildContext&&(i=g({},i,S.getChildContext())),D&&r.__c&&S.getSnapshotBeforeUpdate&&(T=S.getSnapshotBeforeUpdate(C,w)),ie=p&&p.type===y&&p.key==null?p.props.children:p,E.__P&&(p=c,a=(t=E.__P).namespaceURI,l=o=null,r.props&&r.props.__P!=t&&(r.__k.some(function(e){e&&le(e,e)}),r.__k=null),c=r.__k?x(r,0):null),c=ee(t,m(ie)?ie:[ie],n,r,i,a,o,s,c,l,d),E.__P&&(n.__e=null,c=p),n.__u&=-161,h&&h.some(_),S.__h.length&&s.push(S),1&S.__g&&(S.__g&=-4)}catch(t){if(s.length=v,n.__v=null,l||o){if(t&&t.then){if(n.__u|=128|l,o){for(~(A=o.indexOf(c||void 0))||(A=o.length);(j=o[A-1])&&j.nodeType==8;)A--;for(;A<o.length;A++)if(j=o[A]){if(o[A]=null,k){if(j==ce)break}else{if(j.nodeType!=8)break;j.data.startsWith(`$s`)&&(ce=ae(k=j))}}}if(!k){for(;c&&c.nodeType==8&&c.nextSibling;)c=c.nextSibling;k=c}(p=ae(k=n.__c.__z||(n.__c.__z=k)))?(n.__e=k,c=p):n.__e=c,c&&=c.nextSibling}else o&&o.some(_)}else n.__e=r.__e;n.__k||=r.__k||[],t&&t.then||oe(n),e.__e(t,n,r)}}else c=n.__e=se(r.__e,n,r,i,a,o,s,l,d,t);return(p=e.diffed)&&p(n),c}function ae(e,t){if(e&&e.nodeType==8&&e.data.startsWith(`$s`))for(var n=1;e=e.nextSibling;){if(e.nodeType==8){if(e.data.startsWith(`$s`))n++;else if(e.data.startsWith(`/$s`)&&!--n)return e}t&&t.push(e)}}function oe(e){e&&(e.__c&&(e.__c.__g|=4),e.__k&&e.__k.some(oe))}function k(t,n,r){for(var i=0;i<r.length;)ce(r[i++],r[i++],r[i++]);e.__c&&e.__c(n,t),t.some(function(n){try{t=n.__h,n.__h=[],t.some(function(e){e.call(n)})}catch(t){e.__e(t,n.__v)}})}function se(t,n,r,i,a,o,s,c,l,u){var f,g,v,y,b,S,C,w,T=r.props||d,E=n.props,D=n.type;if(D==`svg`?a=`http://www.w3.org/2000/svg`:D==`math`?a=`http://www.w3.org/1998/Math/MathML`:a||=`http://www.w3.org/1999/xhtml`,o){for(f=0;f<o.length;f++)if((b=o[f])&&(D?b.localName==D:b.nodeType==3)){t=b,o[f]=null;break}}if(!t){if(w=u.ownerDocument||document,!D)return w.createTextNode(E);t=w.createElementNS(a,D,E.is?E:u),c&&=(e.__m&&e.__m(n,o),!1),o=null}if(D){if(u=D==`template`&&t.content||t,o=D==`textarea`&&E.defaultValue!=null?null:o&&h.call(u.childNodes),!c&&o)for(T={},f=0;f<t.attributes.length;f++)T[(b=t.attributes[f]).name]=b.value;for(f in T)b=T[f],f==`dangerouslySetInnerHTML`?v=b:f==`children`||f in E||f==`value`&&`defaultValue`in E||f==`checked`&&`defaultChecked`in E||ne(t,f,null,b,a);for(f in E)b=E[f],f==`children`?y=b:f==`dangerouslySetInnerHTML`?g=b:f==`value`?S=b:f==`checked`?C=b:c&&typeof b!=`function`||T[f]===b||ne(t,f,b,T[f],a);g?(c||v&&(g.__html==v.__html||g.__html==t.innerHTML)||(t.innerHTML=g.__html),n.__k=[]):(v&&(t.textContent=``),(D==`foreignObject`||a==`http://www.w3.org/1998/Math/MathML`&&p.test(D))&&(a=`http://www.w3.org/1999/xhtml`),ee(u,m(y)?y:[y],n,r,i,a,o,s,o?o[0]:r.__k&&x(r,0),c,l),o&&o.some(_)),c&&D!=`textarea`||(f=`value`,D==`progress`&&S==null?t.removeAttribute(f):S==null||S===t[f]&&(D!=`progress`||S)||ne(t,f,S,T[f],a),f=`checked`,C!=null&&C!=t[f]&&ne(t,f,C,T[f],a))}else T===E||c&&t.data==E||(t.data=E);return t}function ce(t,n,r,i){try{typeof t==`function`?n?n.__x=t(n)||1:(i&&=i.__c||i.__e)&&(n=i.__x)&&(i.__x=null,typeof n==`function`?n():t(null)):t.current=n}catch(t){e.__e(t,r)}}function le(t,n,r){var i,a,o,s;if(e.unmount&&e.unmount(t),!(i=t.ref)||i.current&&i.current!=t.__e||ce(i,null,n,t),i=t.__c){if(i.componentWillUnmount)try{i.componentWillUnmount()}catch(t){e.__e(t,n)}i.__P=i.__n=null}if(i=t.__k)for(s=0;s<i.length;s++)i[s]&&le(i[s],n,typeof t.type!=`function`||r&&!t.props.__P);!r&&(i=t.__c)&&(i=i.__z)&&(a=ae(i,o=[]))&&(i==t.__e&&o.some(_),_(a),_(i)),r||_(t.__e),t.__e=t.__c=t.__=null}function ue(e,t,n){return this.constructor(e,n)}function A(t,n){var r,i,a,o;e.__&&e.__(t,n),n.nodeType==9&&(n=n.documentElement),i=(r=t&&32&t.__u)?null:n.__k,n.__k=v(y,{children:[t]}),a=[],o=[],ie(n,n.__k,i||d,d,n.namespaceURI,i?null:n.firstChild?h.call(n.childNodes):null,a,i?i.__e:n.firstChild,r,o),k(a,n.__k,o),n.__k.props.children=null}e={__e:function(e,t,n,r){for(var a,o,s;t=t.__;)if((a=t.__c)&&!(1&a.__g)){a.__g|=4;try{if((s=(o=a.constructor)&&o.getDerivedStateFromError)&&a.setState(o.getDerivedStateFromError(e)),a.componentDidCatch&&(a.componentDidCatch(e,r||{}),s=1),s&&8&a.__g)return void(a.__g|=2)}catch(t){e=t}}throw i=0,e}},t=0,b.prototype.setState=function(e,t){var n=this.__s;n&&n!=this.state||(n=this.__s=g({},this.state)),typeof e==`function`&&(e=e(g({},n),this.props)),e&&(g(n,e),this.__v&&(t&&this.__k.push(t),w(this)))},b.prototype.forceUpdate=function(e){this.__v&&(this.__g|=4,e&&this.__h.push(e),w(this))},b.prototype.render=y,n=[],i=0,a=function(e,t){return e.__v.__b-t.__v.__b},o=Symbol(),s=/(PointerCapture)$|Capture$/i,c=0,l={};var j,M,de,fe,pe=Object.is,me=0,he=[],ge=[],N=e,_e=N.__b,ve=N.__r,ye=N.diffed,be=N.__c,xe=N.unmount,Se=N.__;function Ce(e,t){N.__h&&N.__h(M,e,me||t),me=0;var n=M.__H||(M.__H={__:[],__h:[]});return e>=n.__.length&&n.__.push({}),n.__[e]}function P(e){return me=1,we(Ie,e)}function we(e,t,n){var r=Ce(j++,2);if(r.t=e,!r.__c&&(r.__=[n?n(t):Ie(void 0,t),function(e){var t=(r.__N||r.__)[0],n=r.t(t,e);pe(t,n)||(r.__N=[n,r.__[1]],r.__c.setState({}))}],r.__c=M,!M.__f)){M.__f=!0;var i=M.shouldComponentUpdate;M.shouldComponentUpdate=function(e,t,n){var r=this.__H;if(!r)return!0;var a=!1,o=this.props!=e;if(r.__.some(function(e){e.__N&&(a=!0,pe(e.__[0],e.__N[0])||(o=!0))}),i){var s=i.call(this,e,t,n);return a?s||o:s}return!a||o}}return r.__}function F(e,t){var n=Ce(j++,3);!N.__s&&Fe(n.__H,t)&&(n.__P=!0,n.__=e,n.u=t,M.__H.__h.push(n))}function Te(e,t){var n=Ce(j++,4);!N.__s&&Fe(n.__H,t)&&(n.__P=!1,n.__=e,n.u=t,M.__h.push(n))}function I(e){return me=5,Ee(function(){return{current:e}},[])}function Ee(e,t){var n=Ce(j++,7);return Fe(n.__H,t)&&(n.__=e(),n.__H=t),n.__}function De(e,t){return me=8,Ee(function(){return e},t)}function Oe(){var e=Ce(j++,11);if(!e.__){for(var t=M.__v;!t.__m&&t.__;)t=t.__;var n=t.__m||(t.__m=[0,0]);e.__=`P`+n[0]+`-`+n[1]++}return e.__}function ke(){var e;do{for(;e=ge.shift();)try{Ne(e)}catch(t){N.__e(t,{__:(e=e.__P)&&e.__v})}for(;e=he.shift();){var t=e.__H;if(e.__P&&t)try{t.__h.some(Ne),t.__h.some(Pe),t.__h=[]}catch(n){t.__h=[],N.__e(n,e.__v)}}}while(ge.length)}N.__b=function(e){M=null,_e&&_e(e)},N.__=function(e,t){e&&t.__k&&t.__k.__m&&(e.__m=t.__k.__m),Se&&Se(e,t)},N.__r=function(e){ve&&ve(e),j=0;var t=(M=e.__c).__H;t&&(de==M?M.__h=[]:(t.__h.some(Ne),t.__h.some(Pe),j=0),t.__h=[],t.__.some(function(e){e.__N&&(e.__=e.__N),e.u=e.__N=void 0})),de=M},N.diffed=function(e){ye&&ye(e);var t=e.__c;t&&t.__H&&(t.__H.__h.length&&Me(he.push(t)),t.__H.__.some(function(e){e.u&&(e.__H=e.u)})),de=M=null},N.__c=function(e,t){t.some(function(e){try{e.__h.some(Ne),e.__h=e.__h.filter(function(e){return!e.__||Pe(e)})}catch(t){e.__h=[function(){throw t}]}}),be&&be(e,t)},N.unmount=function(e){xe&&xe(e);var t,n,r=e.__c;r&&r.__H&&(r.__H.__.some(function(r){try{if(r.__P&&r.__c){if(n===void 0){for(n=e.__;n&&(!n.__c||!n.__c.__P);)n=n.__;n&&=n.__c}r.__P=n,Me(ge.push(r))}else Ne(r)}catch(e){t=e}}),r.__H=void 0,t&&N.__e(t,r.__v))};var Ae=typeof requestAnimationFrame==`function`;function je(e){var t,n=function(){clearTimeout(r),Ae&&cancelAnimationFrame(t),setTimeout(e)},r=setTimeout(n,35);Ae&&(t=requestAnimationFrame(n))}function Me(e){e!=1&&fe==N.requestAnimationFrame||((fe=N.requestAnimationFrame)||je)(ke)}function Ne(e){var t=M,n=e.__c;typeof n==`function`&&(e.__c=void 0,n()),M=t}function Pe(e){var t=M;e.__c=e.__(),M=t}function Fe(e,t){return!e||e.length!=t.length||t.some(function(t,n){return!pe(t,e[n])})}function Ie(e,t){return typeof t==`function`?t(e):t}function Le(){let e=document.querySelector(`meta[name="videoprompt-config"]`),t={};try{t=JSON.parse(e?.content||`{}`)}catch{t={}}let n=e=>typeof e==`number`&&Number.isFinite(e)?e:null;return{demo:t.demo===!0,uploadLimit:n(t.uploadLimit),maxImagePixels:n(t.maxImagePixels)}}var L=Le(),Re=`videoprompt.token`,ze=`videoprompt.ended`,Be=He(),Ve=new Set;function He(){try{return localStorage.getItem(Re)}catch{return null}}function Ue(e){try{e===null?localStorage.removeItem(Re):localStorage.setItem(Re,e)}catch{}}function R(){return Be}function We(e,t){if(Be=e,e===null)try{localStorage.setItem(ze,t)}catch{}Ue(e),Ve.forEach(e=>e(Be,t))}function Ge(e){return Ve.add(e),()=>Ve.delete(e)}window.addEventListener(`storage`,e=>{if(e.key!==Re&&e.key!==null)return;let t=He();if(t===Be)return;Be=t;let n=`other-tab`;try{t===null&&localStorage.getItem(ze)===`expired`&&(n=`expired`)}catch{n=`other-tab`}Ve.forEach(e=>e(Be,n))});function Ke(){return{path:location.pathname,search:new URLSearchParams(location.search)}}var qe=Ke(),Je=new Set;function Ye(){qe=Ke(),Je.forEach(e=>e(qe))}function z(e,t={}){e!==location.pathname+location.search&&(t.replace?history.replaceState(null,``,e):history.pushState(null,``,e),window.scrollTo(0,0),Ye())}function Xe(){return location.pathname+location.search}function Ze(){let[e,t]=P(qe);return F(()=>(Je.add(t),t(qe),()=>{Je.delete(t)}),[]),e}window.addEventListener(`popstate`,Ye),document.addEventListener(`click`,e=>{if(e.defaultPrevented||e.button!==0||e.metaKey||e.ctrlKey||e.shiftKey||e.altKey)return;let t=e.target?.closest?.(`a`);if(!t||t.target||t.hasAttribute(`download`))return;let n=t.getAttribute(`href`);n&&n.startsWith(`/`)&&!n.startsWith(`//`)&&(n.startsWith(`/exports/`)||n.startsWith(`/images/`)||n.startsWith(`/graphiql`)||(e.preventDefault(),z(n)))});var Qe=0,$e=new Set;function et(){Qe+=1,Qe===1&&$e.forEach(e=>e(!0));let e=!1;return()=>{e||(e=!0,--Qe,Qe===0&&$e.forEach(e=>e(!1)))}}function tt(e){return $e.add(e),()=>$e.delete(e)}function B(e){return e===null?`null`:Array.isArray(e)?`array`:typeof e}function nt(e){return B(e)===`object`}function rt(e){return Array.isArray(e)&&e.length>0&&e.every(e=>`message`in e)}function it(e,t){return e.length<124?e:t}var V=(e=>(e[e.InternalServerError=4500]=`InternalServerError`,e[e.InternalClientError=4005]=`InternalClientError`,e[e.BadRequest=4400]=`BadRequest`,e[e.BadResponse=4004]=`BadResponse`,e[e.Unauthorized=4401]=`Unauthorized`,e[e.Forbidden=4403]=`Forbidden`,e[e.SubprotocolNotAcceptable=4406]=`SubprotocolNotAcceptable`,e[e.ConnectionInitialisationTimeout=4408]=`ConnectionInitialisationTimeout`,e[e.ConnectionAcknowledgementTimeout=4504]=`ConnectionAcknowledgementTimeout`,e[e.SubscriberAlreadyExists=4409]=`SubscriberAlreadyExists`,e[e.TooManyInitialisationRequests=4429]=`TooManyInitialisationRequests`,e))(V||{}),H=(e=>(e.ConnectionInit=`connection_init`,e.ConnectionAck=`connection_ack`,e.Ping=`ping`,e.Pong=`pong`,e.Subscribe=`subscribe`,e.Next=`next`,e.Error=`error`,e.Complete=`complete`,e))(H||{});function at(e){if(!nt(e))throw Error(`Message is expected to be an object, but got ${B(e)}`);if(!e.type)throw Error(`Message is missing the 'type' property`);if(typeof e.type!=`string`)throw Error(`Message is expects the 'type' property to be a string, but got ${B(e.type)}`);switch(e.type){case`connection_init`:case`connection_ack`:case`ping`:case`pong`:if(e.payload!=null&&!nt(e.payload))throw Error(`"${e.type}" message expects the 'payload' property to be an object or nullish or missing, but got "${e.payload}"`);break;case`subscribe`:if(typeof e.id!=`string`)throw Error(`"${e.type}" message expects the 'id' property to be a string, but got ${B(e.id)}`);if(!e.id)throw Error(`"${e.type}" message requires a non-empty 'id' property`);if(!nt(e.payload))throw Error(`"${e.type}" message expects the 'payload' property to be an object, but got ${B(e.payload)}`);if(typeof e.payload.query!=`string`)throw Error(`"${e.type}" message payload expects the 'query' property to be a string, but got ${B(e.payload.query)}`);if(e.payload.variables!=null&&!nt(e.payload.variables))throw Error(`"${e.type}" message payload expects the 'variables' property to be a an object or nullish or missing, but got ${B(e.payload.variables)}`);if(e.payload.operationName!=null&&B(e.payload.operationName)!==`string`)throw Error(`"${e.type}" message payload expects the 'operationName' property to be a string or nullish or missing, but got ${B(e.payload.operationName)}`);if(e.payload.extensions!=null&&!nt(e.payload.extensions))throw Error(`"${e.type}" message payload expects the 'extensions' property to be a an object or nullish or missing, but got ${B(e.payload.extensions)}`);break;case`next`:if(typeof e.id!=`string`)throw Error(`"${e.type}" message expects the 'id' property to be a string, but got ${B(e.id)}`);if(!e.id)throw Error(`"${e.type}" message requires a non-empty 'id' property`);if(!nt(e.payload))throw Error(`"${e.type}" message expects the 'payload' property to be an object, but got ${B(e.payload)}`);break;case`error`:if(typeof e.id!=`string`)throw Error(`"${e.type}" message expects the 'id' property to be a string, but got ${B(e.id)}`);if(!e.id)throw Error(`"${e.type}" message requires a non-empty 'id' property`);if(!rt(e.payload))throw Error(`"${e.type}" message expects the 'payload' property to be an array of GraphQL errors, but got ${JSON.stringify(e.payload)}`);break;case`complete`:if(typeof e.id!=`string`)throw Error(`"${e.type}" message expects the 'id' property to be a string, but got ${B(e.id)}`);if(!e.id)throw Error(`"${e.type}" message requires a non-empty 'id' property`);break;default:throw Error(`Invalid message 'type' property "${e.type}"`)}return e}function ot(e,t){return at(typeof e==`string`?JSON.parse(e,t):e)}function st(e,t){return at(e),JSON.stringify(e,t)}function ct(e){let{url:t,connectionParams:n,lazy:r=!0,onNonLazyError:i=console.error,lazyCloseTimeout:a=0,keepAlive:o=0,disablePong:s,connectionAckWaitTimeout:c=0,retryAttempts:l=5,retryWait:u=async function(e){let t=2**e;await new Promise(e=>setTimeout(e,t*1e3+Math.floor(Math.random()*2700+300)))},shouldRetry:d=ut,on:f,webSocketImpl:p,generateID:m=function(){return`xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx`.replace(/[xy]/g,e=>{let t=Math.random()*16|0;return(e==`x`?t:t&3|8).toString(16)})},jsonMessageReplacer:h,jsonMessageReviver:g}=e,_;if(p){if(!ft(p))throw Error(`Invalid WebSocket implementation provided`);_=p}else typeof WebSocket<`u`?_=WebSocket:typeof global<`u`?_=global.WebSocket||global.MozWebSocket:typeof window<`u`&&(_=window.WebSocket||window.MozWebSocket);if(!_)throw Error("WebSocket implementation missing; on Node you can `import WebSocket from 'ws';` and pass `webSocketImpl: WebSocket` to `createClient`");let v=_,y=(()=>{let e=(()=>{let e={};return{on(t,n){return e[t]=n,()=>{delete e[t]}},emit(t){`id`in t&&e[t.id]?.(t)}}})(),t={connecting:f?.connecting?[f.connecting]:[],opened:f?.opened?[f.opened]:[],connected:f?.connected?[f.connected]:[],ping:f?.ping?[f.ping]:[],pong:f?.pong?[f.pong]:[],message:f?.message?[e.emit,f.message]:[e.emit],closed:f?.closed?[f.closed]:[],error:f?.error?[f.error]:[]};return{onMessage:e.on,on(e,n){let r=t[e];return r.push(n),()=>{let e=r.indexOf(n);e>-1&&r.splice(e,1)}},emit(e,...n){for(let r of[...t[e]])r(...n)}}})();function b(e){let t=[y.on(`error`,n=>{t.forEach(e=>e()),e(n)}),y.on(`closed`,n=>{t.forEach(e=>e()),e(n)})];return()=>t.forEach(e=>e())}let x,S=0,C,w=!1,T=0,ee=!1;async function E(){clearTimeout(C);let[e,r]=await(x??=new Promise((e,r)=>(async()=>{if(w){if(await u(T),!S)return x=void 0,r({code:1e3,reason:`All Subscriptions Gone`});T++}y.emit(`connecting`,w);let i=new v(typeof t==`function`?await t():t,`graphql-transport-ws`),a,l;function d(){isFinite(o)&&o>0&&(clearTimeout(l),l=setTimeout(()=>{i.readyState===v.OPEN&&(i.send(st({type:H.Ping})),y.emit(`ping`,!1,void 0))},o))}b(e=>{x=void 0,clearTimeout(a),clearTimeout(l),r(e),e instanceof lt&&(i.close(4499,`Terminated`),i.onerror=null,i.onclose=null)}),i.onerror=e=>y.emit(`error`,e),i.onclose=e=>y.emit(`closed`,e),i.onopen=async()=>{try{y.emit(`opened`,i);let e=typeof n==`function`?await n():n;if(i.readyState!==v.OPEN)return;i.send(st(e?{type:H.ConnectionInit,payload:e}:{type:H.ConnectionInit},h)),isFinite(c)&&c>0&&(a=setTimeout(()=>{i.close(V.ConnectionAcknowledgementTimeout,`Connection acknowledgement timeout`)},c)),d()}catch(e){y.emit(`error`,e),i.close(V.InternalClientError,it(e instanceof Error?e.message:String(e),`Internal client error`))}};let f=!1;i.onmessage=({data:t})=>{try{let n=ot(t,g);if(y.emit(`message`,n),n.type===`ping`||n.type===`pong`){y.emit(n.type,!0,n.payload),n.type===`pong`?d():s||(i.send(st(n.payload?{type:H.Pong,payload:n.payload}:{type:H.Pong},h)),y.emit(`pong`,!1,n.payload));return}if(f)return;if(n.type!==H.ConnectionAck)throw Error(`First message cannot be of type ${n.type}`);clearTimeout(a),f=!0,y.emit(`connected`,i,n.payload,w),w=!1,T=0;let r=new Promise((e,t)=>b(t));r.catch(()=>{}),e([i,r])}catch(e){i.onmessage=null,y.emit(`error`,e),i.close(V.BadResponse,it(e instanceof Error?e.message:String(e),`Bad response`))}}})()));e.readyState===v.CLOSING&&await r;let i=()=>{},l=new Promise(e=>i=e);return[e,i,new Promise((t,n)=>{let i=b(n);e.readyState!==v.OPEN&&r.catch(n),l.then(()=>{if(i(),!S){let t=()=>e.close(1e3,`Normal Closure`);isFinite(a)&&a>0?(clearTimeout(C),C=setTimeout(()=>{!S&&e.readyState===v.OPEN&&t()},a)):t()}t()})})]}function D(e){if(ut(e)&&(dt(e.code)||[V.InternalServerError,V.InternalClientError,V.BadRequest,V.BadResponse,V.Unauthorized,V.SubprotocolNotAcceptable,V.SubscriberAlreadyExists,V.TooManyInitialisationRequests].includes(e.code)))throw e;if(ee)return!1;if(ut(e)&&e.code===1e3)return S>0;if(!l||T>=l||!d(e))throw e;return w=!0}r||(async()=>{for(S++;;)try{let[,,e]=await E();await e}catch(e){try{if(!D(e))return}catch(e){return i?.(e)}}})();function te(e,t){let n=m(e),r=!1,i=!1,a=()=>{S--,r=!0};return(async()=>{for(S++;;)try{let[o,s,c]=await E();if(r)return c.catch(()=>{}),s();let l=y.onMessage(n,e=>{switch(e.type){case H.Next:t.next(e.payload);return;case H.Error:i=!0,r=!0,t.error(e.payload),a();return;case H.Complete:r=!0,a();return}});o.send(st({id:n,type:H.Subscribe,payload:e},h)),a=()=>{!r&&o.readyState===v.OPEN&&o.send(st({id:n,type:H.Complete},h)),S--,r=!0,s()},await c.finally(l);return}catch(e){if(!D(e))return}})().then(()=>{i||t.complete()}).catch(e=>{t.error(e)}),()=>{r||a()}}return{on:y.on,subscribe:te,iterate(e){let t=[],n={done:!1,error:null,resolve:()=>{}},r=te(e,{next(e){t.push(e),n.resolve()},error(e){n.done=!0,n.error=e,n.resolve()},complete(){n.done=!0,n.resolve()}}),i=async function*(){for(;;){for(t.length||await new Promise(e=>n.resolve=e);t.length;)yield t.shift();if(n.error)throw n.error;if(n.done)return}}();return i.throw=async e=>(n.done||(n.done=!0,n.error=e,n.resolve()),{done:!0,value:void 0}),i.return=async()=>(r(),{done:!0,value:void 0}),i},async dispose(){if(ee=!0,x){let[e]=await x;e.close(1e3,`Normal Closure`)}},terminate(){x&&y.emit(`closed`,new lt)}}}var lt=class extends Error{name=`TerminatedCloseEvent`;message=`4499: Terminated`;code=4499;reason=`Terminated`;wasClean=!1};function ut(e){return nt(e)&&`code`in e&&`reason`in e}function dt(e){return![1e3,1001,1006,1005,1012,1013,1014].includes(e)&&e>=1e3&&e<=1999}function ft(e){return typeof e==`function`&&`constructor`in e&&`CLOSED`in e&&`CLOSING`in e&&`CONNECTING`in e&&`OPEN`in e}var pt=new Set,mt=typeof BroadcastChannel==`function`?new BroadcastChannel(`videoprompt`):null;mt?.addEventListener(`message`,e=>{typeof e.data==`string`&&ht(e.data)});function ht(e){pt.forEach(t=>t(e))}function U(...e){for(let t of e)ht(t),mt?.postMessage(t)}function gt(e){ht(e)}function _t(e){return pt.add(e),()=>pt.delete(e)}var W=class extends Error{code;field;retryAfter;reason;httpStatus;constructor(e,t,n={}){super(t),this.name=`ApiError`,this.code=e,this.field=typeof n.field==`string`?n.field:null,this.retryAfter=typeof n.retryAfter==`number`?n.retryAfter:null,this.reason=typeof n.reason==`string`?n.reason:null,this.httpStatus=n.httpStatus??null}},vt=`NETWORK`,yt=`BAD_RESPONSE`;function bt(e,t){let n=e[0]??{},r=n.extensions??{},i=typeof r.code==`string`?r.code:`INTERNAL`;return new W(i,n.message??i,{field:r.field,retryAfter:r.retryAfter,reason:r.reason,httpStatus:t})}function xt(e,t){e.code===`UNAUTHENTICATED`&&t!==null&&R()===t&&We(null,`expired`)}var St=6e4;async function G(e,...[t]){let n=R(),r={"content-type":`application/json`,accept:`application/graphql-response+json, application/json;q=0.9`};n&&(r.authorization=`Bearer ${n}`);let i=JSON.stringify({query:e.toString(),variables:t??{}}),a=new AbortController,o=setTimeout(()=>a.abort(),St),s=et(),c;try{c=await fetch(`/graphql`,{method:`POST`,headers:r,body:i,signal:a.signal,credentials:`omit`})}catch(e){throw new W(vt,String(e))}finally{clearTimeout(o),s()}let l;try{l=await c.json()}catch{throw new W(c.status>=500?vt:yt,`HTTP ${c.status}`,{httpStatus:c.status})}if(l.errors&&l.errors.length>0){let e=bt(l.errors,c.status);throw xt(e,n),e}if(l.data===void 0||l.data===null)throw new W(yt,`HTTP ${c.status} without data`,{httpStatus:c.status});return l.data}var Ct=null,wt=`idle`,Tt=new Set;function Et(e){e!==wt&&(wt=e,Tt.forEach(e=>e(wt)))}function Dt(){return wt}function Ot(e){return Tt.add(e),()=>Tt.delete(e)}var kt=4403,At=1e3,jt=0;function Mt(e){return typeof e==`object`&&!!e&&`code`in e&&`reason`in e}function Nt(){let e=location.protocol===`https:`?`wss://`:`ws://`,t=R(),n=!1;return ct({url:`${e}${location.host}/graphql`,lazy:!0,lazyCloseTimeout:5e3,retryAttempts:1/0,keepAlive:1e4,connectionParams:()=>t?{Authorization:`Bearer ${t}`}:{},shouldRetry:e=>!(Mt(e)&&e.code===kt),retryWait:async e=>{let t=Math.min(250*2**e,3e3)+Math.random()*250;await new Promise(e=>setTimeout(e,t))},on:{connecting:()=>Et(n?`reconnecting`:`connecting`),connected:()=>{let e=n;n=!0,Et(`connected`),e&&gt(`*`)},closed:e=>{Mt(e)&&e.code===kt?(t!==null&&R()===t&&We(null,`expired`),Et(`idle`)):jt>0&&!(Mt(e)&&e.code===At)?Et(`reconnecting`):Et(`idle`)}}})}Ge(()=>{Ct?.dispose(),Ct=null,Et(`idle`)});function Pt(e,t,n){Ct??=Nt();let r=R();jt+=1;let i=!1,a=()=>{i||(i=!0,--jt)},o=Ct.subscribe({query:e.toString(),variables:t},{next:e=>{if(e.errors&&e.errors.length>0){let t=bt(e.errors,null);xt(t,r),n.error?.(t)}else e.data&&n.next(e.data)},error:e=>{a(),Array.isArray(e)?n.error?.(bt(e,null)):n.error?.(new W(vt,String(Mt(e)?e.reason:e)))},complete:()=>{a(),n.complete?.()}});return()=>{a(),o()}}function Ft(e,t,n,r=!0){let[i,a]=P(null),[o,s]=P(null),[c,l]=P(r),u=JSON.stringify(t),d=I(0),f=De(()=>{if(!r)return;let t=++d.current;l(!0),G(e,JSON.parse(u)).then(e=>{t===d.current&&(a(e),s(null))}).catch(e=>{t===d.current&&s(e instanceof W?e:new W(`INTERNAL`,String(e)))}).finally(()=>{t===d.current&&l(!1)})},[e,u,r]);F(()=>{a(null),f()},[f]);let p=n.join(`|`);return F(()=>_t(e=>{(e===`*`||p.split(`|`).includes(e))&&f()}),[f,p]),{data:i,error:o,loading:c,refetch:f,setData:De(e=>{a(t=>t===null?t:e(t))},[])}}function It(e,t,n,r,i){let[a,o]=P([]),[s,c]=P(null),[l,u]=P(!1),[d,f]=P(!1),[p,m]=P(null),h=r?r.nodes.map(e=>e.id).join(`,`):``,g=I(0);g.current=a.length;let _=I(0),v=I([]),y=(r,i)=>G(e,t(r,i)).then(n);F(()=>{if(!r)return;let e=++_.current;f(!1);let t=r.nodes.map(e=>e.id),n=v.current.filter(e=>!t.includes(e)).length;v.current=t;let i=g.current===0?0:g.current+n;if(i===0||!r.pageInfo.hasNextPage||!r.pageInfo.endCursor){o([]),c(r.pageInfo.endCursor),u(r.pageInfo.hasNextPage);return}let a=new Set(r.nodes.map(e=>e.id));o(e=>e.filter(e=>!a.has(e.id))),(async()=>{let t=r.pageInfo.endCursor,n=!0,a=[];for(;n&&t!==null&&a.length<i;){let e=await y(t,Math.min(Lt,i-a.length));if(!e)break;a.push(...e.nodes),t=e.pageInfo.endCursor,n=e.pageInfo.hasNextPage}e===_.current&&(o(a),c(t),u(n&&t!==null))})().catch(t=>{e===_.current&&m(t instanceof W?t:null)})},[h]);let b=De(()=>{if(!s||d)return;let e=_.current;f(!0),m(null),y(s,i).then(t=>{t&&e===_.current&&(o(e=>{let n=new Set(e.map(e=>e.id));return[...e,...t.nodes.filter(e=>!n.has(e.id))]}),c(t.pageInfo.endCursor),u(t.pageInfo.hasNextPage))}).catch(e=>m(e instanceof W?e:null)).finally(()=>{e===_.current&&f(!1)})},[s,d,e,t,n,i]);return{nodes:r?[...r.nodes,...a.filter(e=>!r.nodes.some(t=>t.id===e.id))]:[],hasMore:l,loadMore:b,loadingMore:d,error:p,setMore:o}}var Lt=100;function K(e){F(()=>{document.title=e?`${e} – videoprompt`:`videoprompt`},[e])}function q(){let e=I(null),t=I(!0);return F(()=>{t.current&&e.current&&(t.current=!1,(document.activeElement===document.body||document.activeElement?.closest(`main, nav, header`))&&e.current.focus({preventScroll:!0}))}),e}var J=class extends String{__apiType;value;__meta__;constructor(e,t){super(e),this.value=e,this.__meta__=t}toString(){return this.value}};new J(`
    fragment PromptFields on VideoPrompt {
  id
  status
  cameraStyle
  filmEffect
  notes
  prompt
  errorCode
  attempts
  createdAt
  completedAt
}
    `,{fragmentName:`PromptFields`}),new J(`
    fragment PromptDetailFields on VideoPrompt {
  ...PromptFields
  details {
    scene
    camera
    lighting
    mood
    effects
  }
  model
  promptTokens
  outputTokens
  startedAt
}
    fragment PromptFields on VideoPrompt {
  id
  status
  cameraStyle
  filmEffect
  notes
  prompt
  errorCode
  attempts
  createdAt
  completedAt
}`,{fragmentName:`PromptDetailFields`}),new J(`
    fragment ImageFields on Image {
  id
  fileName
  mimeType
  byteSize
  width
  height
  url
  createdAt
}
    `,{fragmentName:`ImageFields`});var Rt=new J(`
    query Me {
  me {
    id
    email
    hasGeminiApiKey
    geminiApiKeyHint
  }
}
    `),zt=new J(`
    query Pickers {
  cameraStyles {
    value
    label
  }
  filmEffects {
    value
    label
  }
}
    `),Bt=new J(`
    mutation Register($input: CredentialsInput!) {
  register(input: $input) {
    token
    user {
      id
      email
    }
  }
}
    `),Vt=new J(`
    mutation Login($input: CredentialsInput!) {
  login(input: $input) {
    token
    user {
      id
      email
    }
  }
}
    `),Ht=new J(`
    mutation Logout {
  logout
}
    `),Ut=new J(`
    mutation SetGeminiApiKey($apiKey: String!) {
  setGeminiApiKey(apiKey: $apiKey) {
    id
    hasGeminiApiKey
    geminiApiKeyHint
  }
}
    `),Wt=new J(`
    mutation ClearGeminiApiKey {
  clearGeminiApiKey {
    id
    hasGeminiApiKey
    geminiApiKeyHint
  }
}
    `),Gt=new J(`
    query Collections($first: Int!, $after: String) {
  me {
    id
    collections(first: $first, after: $after) {
      nodes {
        id
        name
        createdAt
        images(first: 4) {
          nodes {
            id
            fileName
            url
          }
          pageInfo {
            hasNextPage
          }
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
}
    `),Kt=new J(`
    mutation CreateCollection($name: String!) {
  createCollection(name: $name) {
    id
    name
  }
}
    `),qt=new J(`
    mutation RenameCollection($id: ID!, $name: String!) {
  renameCollection(id: $id, name: $name) {
    id
    name
  }
}
    `),Jt=new J(`
    mutation DeleteCollection($id: ID!) {
  deleteCollection(id: $id)
}
    `),Yt=new J(`
    query Collection($id: ID!, $first: Int!, $after: String) {
  collection(id: $id) {
    id
    name
    createdAt
    images(first: $first, after: $after) {
      nodes {
        ...ImageFields
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
}
    fragment ImageFields on Image {
  id
  fileName
  mimeType
  byteSize
  width
  height
  url
  createdAt
}`),Xt=new J(`
    mutation UploadImage($collectionId: ID!, $file: Upload!) {
  uploadImage(collectionId: $collectionId, file: $file) {
    ...ImageFields
  }
}
    fragment ImageFields on Image {
  id
  fileName
  mimeType
  byteSize
  width
  height
  url
  createdAt
}`),Zt=new J(`
    mutation DeleteImage($id: ID!) {
  deleteImage(id: $id)
}
    `),Qt=new J(`
    query ImageUrl($id: ID!) {
  image(id: $id) {
    id
    url
  }
}
    `),$t=new J(`
    query Image($id: ID!, $first: Int!, $after: String) {
  image(id: $id) {
    ...ImageFields
    collection {
      id
      name
    }
    videoPrompts(first: $first, after: $after) {
      nodes {
        ...PromptFields
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
}
    fragment PromptFields on VideoPrompt {
  id
  status
  cameraStyle
  filmEffect
  notes
  prompt
  errorCode
  attempts
  createdAt
  completedAt
}
fragment ImageFields on Image {
  id
  fileName
  mimeType
  byteSize
  width
  height
  url
  createdAt
}`),en=new J(`
    mutation GenerateVideoPrompt($input: GenerateVideoPromptInput!) {
  generateVideoPrompt(input: $input) {
    ...PromptFields
  }
}
    fragment PromptFields on VideoPrompt {
  id
  status
  cameraStyle
  filmEffect
  notes
  prompt
  errorCode
  attempts
  createdAt
  completedAt
}`),tn=new J(`
    query VideoPrompt($id: ID!) {
  videoPrompt(id: $id) {
    ...PromptDetailFields
    image {
      id
      fileName
      url
      width
      height
      collection {
        id
        name
      }
    }
  }
}
    fragment PromptFields on VideoPrompt {
  id
  status
  cameraStyle
  filmEffect
  notes
  prompt
  errorCode
  attempts
  createdAt
  completedAt
}
fragment PromptDetailFields on VideoPrompt {
  ...PromptFields
  details {
    scene
    camera
    lighting
    mood
    effects
  }
  model
  promptTokens
  outputTokens
  startedAt
}`),nn=new J(`
    mutation CancelVideoPrompt($id: ID!) {
  cancelVideoPrompt(id: $id) {
    ...PromptDetailFields
  }
}
    fragment PromptFields on VideoPrompt {
  id
  status
  cameraStyle
  filmEffect
  notes
  prompt
  errorCode
  attempts
  createdAt
  completedAt
}
fragment PromptDetailFields on VideoPrompt {
  ...PromptFields
  details {
    scene
    camera
    lighting
    mood
    effects
  }
  model
  promptTokens
  outputTokens
  startedAt
}`),rn=new J(`
    mutation RetryVideoPrompt($id: ID!) {
  retryVideoPrompt(id: $id) {
    id
    status
  }
}
    `),an=new J(`
    query AllPrompts($first: Int!, $after: String) {
  me {
    id
    videoPrompts(first: $first, after: $after) {
      nodes {
        ...PromptFields
        image {
          id
          fileName
          url
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
}
    fragment PromptFields on VideoPrompt {
  id
  status
  cameraStyle
  filmEffect
  notes
  prompt
  errorCode
  attempts
  createdAt
  completedAt
}`),on=new J(`
    subscription PromptUpdated($id: ID!) {
  videoPromptUpdated(id: $id) {
    ...PromptDetailFields
  }
}
    fragment PromptFields on VideoPrompt {
  id
  status
  cameraStyle
  filmEffect
  notes
  prompt
  errorCode
  attempts
  createdAt
  completedAt
}
fragment PromptDetailFields on VideoPrompt {
  ...PromptFields
  details {
    scene
    camera
    lighting
    mood
    effects
  }
  model
  promptTokens
  outputTokens
  startedAt
}`),sn=new J(`
    subscription ImagePromptsUpdated($imageId: ID!) {
  videoPromptUpdated(imageId: $imageId) {
    ...PromptFields
  }
}
    fragment PromptFields on VideoPrompt {
  id
  status
  cameraStyle
  filmEffect
  notes
  prompt
  errorCode
  attempts
  createdAt
  completedAt
}`),cn=new J(`
    query ImageExport($id: ID!, $format: ExportFormat!) {
  image(id: $id) {
    id
    exportUrl(format: $format)
  }
}
    `),ln=new J(`
    query CollectionExport($id: ID!, $format: ExportFormat!) {
  collection(id: $id) {
    id
    exportUrl(format: $format)
  }
}
    `),un=new J(`
    query AllExport($format: ExportFormat!) {
  me {
    id
    exportUrl(format: $format)
  }
}
    `),dn=`ABORTED`;function fn(e,t,n){let r=new XMLHttpRequest,i=R();return{done:new Promise((a,o)=>{let s=new FormData;s.append(`operations`,JSON.stringify({query:Xt.toString(),variables:{collectionId:e,file:null}})),s.append(`map`,JSON.stringify({0:[`variables.file`]})),s.append(`0`,t,t.name),r.open(`POST`,`/graphql`),r.setRequestHeader(`accept`,`application/json`),i&&r.setRequestHeader(`authorization`,`Bearer ${i}`),r.responseType=`text`,r.upload.onprogress=e=>{e.lengthComputable&&e.total>0&&n(e.loaded/e.total)},r.onerror=()=>o(new W(vt,`upload failed`)),r.onabort=()=>o(new W(dn,`upload aborted`)),r.onload=()=>{let e;try{e=JSON.parse(r.responseText)}catch{e=null}if(e?.errors&&e.errors.length>0){let t=bt(e.errors,r.status);xt(t,i),o(t)}else if(e?.data?.uploadImage)n(1),a(e.data.uploadImage);else if(r.status===413)o(new W(`PAYLOAD_TOO_LARGE`,`HTTP 413`,{httpStatus:413}));else if(r.status===401){let e=new W(`UNAUTHENTICATED`,`HTTP 401`,{httpStatus:401});xt(e,i),o(e)}else o(new W(r.status>=500?vt:yt,`HTTP ${r.status}`))},r.send(s)}),abort:()=>r.abort()}}var pn=new Intl.NumberFormat(`de-DE`,{maximumFractionDigits:1}),mn=new Intl.DateTimeFormat(`de-DE`,{dateStyle:`medium`,timeStyle:`short`});function Y(e){return pn.format(e)}function hn(e){return e<1024?`${pn.format(e)} Byte`:e<1048576?`${pn.format(e/1024)} KB`:`${pn.format(e/1048576)} MB`}function gn(e){if(!e)return``;let t=new Date(e);return Number.isNaN(t.getTime())?``:mn.format(t)}var _n={label:`Zu den Einstellungen`,href:`/einstellungen`},vn={label:`Seite neu laden`,href:`reload`};function X(e,t=`general`){if(!(e instanceof W))return{message:`Etwas ist schiefgegangen. Bitte versuchen Sie es noch einmal.`};switch(e.code){case vt:return{message:`Der Server ist gerade nicht erreichbar. Bitte prüfen Sie Ihre Verbindung und versuchen Sie es gleich noch einmal.`};case dn:return{message:`Abgebrochen.`};case`UNAUTHENTICATED`:return t===`sign-in`?{message:`E-Mail-Adresse oder Passwort ist falsch.`}:{message:`Ihre Sitzung ist abgelaufen. Bitte melden Sie sich erneut an.`,action:{label:`Anmelden`,href:`/anmelden`}};case`NOT_FOUND`:return{message:t===`upload`?`Die Sammlung gibt es nicht mehr – vielleicht wurde sie in einem anderen Fenster gelöscht.`:`Das gibt es nicht (mehr) – vielleicht wurde es inzwischen gelöscht.`,action:{label:`Zu den Sammlungen`,href:`/sammlungen`}};case`BAD_USER_INPUT`:return yn(e,t);case`CONFLICT`:return xn(t);case`RATE_LIMITED`:{let t=e.retryAfter??60;return{message:`Zu viele Versuche. Bitte warten Sie ${t>=120?`${Y(Math.ceil(t/60))} Minuten`:`${Y(t)} Sekunden`} und versuchen Sie es dann erneut.`}}case`PAYLOAD_TOO_LARGE`:return{message:L.uploadLimit===null?`Die Datei ist zu groß.`:`Die Datei ist zu groß: erlaubt sind höchstens ${hn(L.uploadLimit)}.`};case`GEMINI_API_KEY_MISSING`:return{message:`Für Ihr Konto ist noch kein Gemini-API-Schlüssel hinterlegt. Ohne ihn kann Gemini keinen Prompt schreiben.`,action:{label:`Schlüssel hinterlegen`,href:`/einstellungen`}};case`GRAPHQL_PARSE_FAILED`:case`GRAPHQL_VALIDATION_FAILED`:case`PERSISTED_QUERY_NOT_FOUND`:case`PERSISTED_QUERY_NOT_IN_LIST`:case yt:return{message:`Diese Version der App passt nicht zum Server (vermutlich wurde er gerade aktualisiert). Bitte laden Sie die Seite neu.`,action:vn};case`SERVICE_UNAVAILABLE`:return{message:`Der Server ist gerade ausgelastet. Bitte versuchen Sie es in ein paar Sekunden noch einmal.`};default:return{message:`Auf dem Server ist ein Fehler aufgetreten. Bitte versuchen Sie es später noch einmal.`}}}function yn(e,t){switch(e.field){case`email`:return{message:`Bitte geben Sie eine gültige E-Mail-Adresse ein, etwa name@beispiel.de.`};case`password`:return{message:`Das Passwort muss mindestens 10 Zeichen lang sein (höchstens 1024).`};case`name`:return{message:`Der Name muss 1 bis 100 Zeichen lang sein.`};case`notes`:return{message:`Die Hinweise dürfen höchstens 500 Zeichen lang sein.`};case`apiKey`:return{message:`Der Schlüssel muss 1 bis 256 Zeichen lang sein.`};case`file`:return bn(e);default:return t===`sign-in`||t===`register`?{message:`Bitte prüfen Sie Ihre Eingaben.`}:{message:`Die Eingabe wurde nicht angenommen. Bitte laden Sie die Seite neu und versuchen Sie es erneut.`,action:vn}}}function bn(e){switch(e.reason){case`UNSUPPORTED_TYPE`:return{message:`Dieses Dateiformat wird nicht unterstützt. Erlaubt sind PNG, JPEG, WebP und HEIC.`};case`INCOMPLETE`:return{message:`Die Datei ist unvollständig (sie endet zu früh). Bitte laden Sie sie noch einmal hoch.`};case`DAMAGED`:return{message:`Die Bilddatei ist beschädigt und kann nicht gelesen werden.`};case`TOO_MANY_PIXELS`:return{message:L.maxImagePixels===null?`Das Bild hat zu viele Pixel.`:`Das Bild hat zu viele Pixel: erlaubt sind höchstens ${Y(L.maxImagePixels/1e6)} Megapixel.`};default:return{message:`Diese Datei wurde nicht angenommen: sie ist kein Bild in einem erlaubten Format (PNG, JPEG, WebP, HEIC).`}}}function xn(e){switch(e){case`register`:return{message:`Mit dieser E-Mail-Adresse gibt es schon ein Konto.`,action:{label:`Stattdessen anmelden`,href:`/anmelden`}};case`cancel`:return{message:`Diese Anfrage ist schon beendet und kann nicht mehr abgebrochen werden.`};case`retry`:return{message:`Nur fehlgeschlagene oder abgebrochene Anfragen können erneut versucht werden.`};case`generate`:return{message:`Diese Anfrage wurde gerade schon gestellt. Bitte laden Sie die Seite neu.`,action:vn};default:return{message:`Das passt nicht zum aktuellen Stand. Bitte laden Sie die Seite neu.`,action:vn}}}function Sn(e){switch(e){case`GEMINI_AUTH`:return{message:`Google Gemini hat Ihren API-Schlüssel abgelehnt. Prüfen Sie, ob er vollständig und noch gültig ist, und hinterlegen Sie ihn gegebenenfalls neu.`,action:_n};case`GEMINI_API_KEY_MISSING`:return{message:`Es war kein Gemini-API-Schlüssel mehr hinterlegt, als die Anfrage an der Reihe war.`,action:_n};case`GEMINI_QUOTA`:return{message:`Das Kontingent Ihres Gemini-Schlüssels ist im Moment aufgebraucht (zu viele Anfragen). Bitte versuchen Sie es später erneut.`};case`GEMINI_UNAVAILABLE`:return{message:`Google Gemini war nicht erreichbar oder überlastet. Bitte versuchen Sie es später erneut.`};case`GEMINI_BLOCKED`:return{message:`Gemini hat die Anfrage aus Sicherheitsgründen blockiert: Bild oder Hinweise könnten gegen die Richtlinien von Google verstoßen. Versuchen Sie es mit anderen Hinweisen oder einem anderen Bild.`};case`GEMINI_BAD_OUTPUT`:return{message:`Gemini hat keine brauchbare Antwort geliefert. Ein neuer Versuch gelingt meistens.`};case`GEMINI_FILE_PROCESSING`:return{message:`Gemini konnte das Bild nicht verarbeiten. Bitte versuchen Sie es erneut oder mit einem anderen Bild.`};case`TIMEOUT`:return{message:`Gemini hat nicht rechtzeitig geantwortet. Bitte versuchen Sie es erneut.`};default:return{message:`Auf dem Server ist ein Fehler aufgetreten. Bitte versuchen Sie es erneut.`}}}function Cn(e){switch(e){case`GEMINI_QUOTA`:return`Gemini meldet zu viele Anfragen – der nächste Versuch folgt gleich von selbst.`;case`TIMEOUT`:return`Gemini hat nicht rechtzeitig geantwortet – der nächste Versuch folgt gleich von selbst.`;default:return`Gemini war kurz nicht erreichbar – der nächste Versuch folgt gleich von selbst.`}}var wn=Symbol.for(`pv`),Tn=0;Array.isArray;function Z(t,n,r,i,a,o){n||={};var s,c,l=n;if(`ref`in l&&typeof t!=`function`)for(c in l={},n)c==`ref`?s=n[c]:l[c]=n[c];var u={type:t,props:l,key:r,ref:s,__k:null,__:null,__b:0,__e:null,__c:null,constructor:wn,__v:--Tn,__i:-1,__u:0};return(a||o)&&(u.__source=a,u.__self=o),e.vnode&&e.vnode(u),u}function Q({problem:e,onDismiss:t}){return e?Z(`div`,{class:`notice notice-error`,role:`alert`,children:[Z(`p`,{children:e.message}),(e.action||t)&&Z(`p`,{class:`notice-actions`,children:[e.action&&(e.action.href===`reload`?Z(`button`,{type:`button`,class:`button-link`,onClick:()=>location.reload(),children:e.action.label}):Z(`a`,{href:e.action.href,children:e.action.label})),t&&Z(`button`,{type:`button`,class:`button-link`,onClick:t,children:`Schließen`})]})]}):null}function En({children:e}){return Z(`div`,{class:`notice notice-info`,role:`status`,children:e})}function $({busy:e,busyLabel:t,variant:n=`secondary`,children:r,disabled:i,type:a=`button`,...o}){return Z(`button`,{...o,type:a,class:`button button-${n}${e?` is-busy`:``}`,"aria-busy":e?`true`:void 0,"aria-disabled":e||i?`true`:void 0,disabled:i,onClick:t=>{e?t.preventDefault():o.onClick?.(t)},children:[e&&Z(`span`,{class:`spinner`,"aria-hidden":`true`}),e&&t?t:r]})}function Dn({open:e,title:t,children:n,confirmLabel:r,busyLabel:i=`Wird gelöscht …`,busy:a,onConfirm:o,onCancel:s}){let c=I(null),l=Oe();return Te(()=>{let t=c.current;t&&(e&&!t.open&&t.showModal(),!e&&t.open&&t.close())},[e]),Z(`dialog`,{ref:c,class:`dialog`,"aria-labelledby":l,onCancel:e=>{e.preventDefault(),s()},children:[Z(`h2`,{id:l,children:t}),Z(`div`,{class:`dialog-body`,children:n}),Z(`div`,{class:`dialog-actions`,children:[Z($,{onClick:s,children:`Abbrechen`}),Z($,{variant:`danger`,busy:a,busyLabel:i,onClick:o,children:r})]})]})}function On({src:e,alt:t,width:n,height:r,onExpired:i,class:a}){let[o,s]=P(null),c=I(0);if(o===e){let e=n&&r?{"--ratio":`${n} / ${r}`}:void 0;return Z(`span`,{class:`${a??`thumb`} thumb-missing`,style:e,role:t?`img`:void 0,"aria-label":t?`${t} (keine Vorschau möglich)`:void 0,"aria-hidden":t?void 0:`true`,children:`Keine Vorschau`})}return Z(`img`,{class:a??`thumb`,src:e,alt:t,width:n??void 0,height:r??void 0,loading:`lazy`,decoding:`async`,onLoad:()=>{c.current=0},onError:()=>{s(e),c.current<2&&(c.current+=1,i?.())}})}var kn={PENDING:`Wartet`,PROCESSING:`Läuft`,COMPLETED:`Fertig`,FAILED:`Fehlgeschlagen`,CANCELLED:`Abgebrochen`};function An({status:e}){return Z(`span`,{class:`badge badge-${e.toLowerCase()}`,children:kn[e]})}function jn(e){return e===`PENDING`?0:e===`PROCESSING`?1:2}function Mn(e){return e===`PENDING`||e===`PROCESSING`}function Nn({label:e=`Wird geladen …`}){return Z(`p`,{class:`loading`,role:`status`,children:[Z(`span`,{class:`spinner`,"aria-hidden":`true`}),` `,e]})}function Pn(){let e=new Uint8Array(16);return crypto.getRandomValues(e),Array.from(e,e=>e.toString(16).padStart(2,`0`)).join(``)}function Fn(e){return!e||!e.startsWith(`/`)||e.startsWith(`//`)||e.startsWith(`/anmelden`)||e.startsWith(`/registrieren`)?`/sammlungen`:e}function In({search:e}){K(`Anmelden`);let t=q(),[n,r]=P(``),[i,a]=P(``),[o,s]=P(!1),[c,l]=P(null),u=e.get(`abgelaufen`)===`1`,d=Fn(e.get(`weiter`));return Z(`section`,{class:`narrow`,children:[Z(`h1`,{tabIndex:-1,ref:t,children:`Anmelden`}),u&&Z(En,{children:Z(`p`,{children:`Ihre Sitzung ist abgelaufen. Bitte melden Sie sich erneut an – danach geht es dort weiter, wo Sie waren.`})}),Z(Q,{problem:c}),Z(`form`,{class:`card form`,onSubmit:async e=>{e.preventDefault(),s(!0),l(null);try{We((await G(Vt,{input:{email:n,password:i}})).login.token,`signed-in`),z(d,{replace:!0})}catch(e){l(X(e,`sign-in`)),s(!1)}},noValidate:!0,children:[Z(`div`,{class:`field`,children:[Z(`label`,{for:`signin-email`,children:`E-Mail-Adresse`}),Z(`input`,{id:`signin-email`,type:`email`,autocomplete:`username`,required:!0,value:n,onInput:e=>r(e.currentTarget.value)})]}),Z(`div`,{class:`field`,children:[Z(`label`,{for:`signin-password`,children:`Passwort`}),Z(`input`,{id:`signin-password`,type:`password`,autocomplete:`current-password`,required:!0,value:i,onInput:e=>a(e.currentTarget.value)})]}),Z($,{type:`submit`,variant:`primary`,busy:o,busyLabel:`Anmeldung läuft …`,children:`Anmelden`})]}),Z(`p`,{children:[`Noch kein Konto? `,Z(`a`,{href:`/registrieren${e.get(`weiter`)?`?weiter=${encodeURIComponent(d)}`:``}`,children:`Jetzt registrieren`})]})]})}function Ln(){K(`Registrieren`);let e=q(),[t,n]=P(``),[r,i]=P(``),[a,o]=P(!1),[s,c]=P(null);return Z(`section`,{class:`narrow`,children:[Z(`h1`,{tabIndex:-1,ref:e,children:`Registrieren`}),Z(`p`,{class:`lead`,children:`Laden Sie Bilder hoch und lassen Sie Google Gemini daraus deutsche Prompts für Videogeneratoren wie Veo, Kling, Runway oder Sora schreiben.`}),Z(Q,{problem:s}),Z(`form`,{class:`card form`,onSubmit:async e=>{if(e.preventDefault(),r.length<10)c({message:`Das Passwort muss mindestens 10 Zeichen lang sein.`});else{o(!0),c(null);try{We((await G(Bt,{input:{email:t,password:r}})).register.token,`signed-in`),z(`/einstellungen?willkommen=1`,{replace:!0})}catch(e){c(X(e,`register`)),o(!1)}}},noValidate:!0,children:[Z(`div`,{class:`field`,children:[Z(`label`,{for:`register-email`,children:`E-Mail-Adresse`}),Z(`input`,{id:`register-email`,type:`email`,autocomplete:`email`,required:!0,value:t,onInput:e=>n(e.currentTarget.value)})]}),Z(`div`,{class:`field`,children:[Z(`label`,{for:`register-password`,children:`Passwort`}),Z(`input`,{id:`register-password`,type:`password`,autocomplete:`new-password`,required:!0,minLength:10,maxLength:1024,"aria-describedby":`register-password-hint`,value:r,onInput:e=>i(e.currentTarget.value)}),Z(`p`,{id:`register-password-hint`,class:`hint`,children:`Mindestens 10 Zeichen.`})]}),Z($,{type:`submit`,variant:`primary`,busy:a,busyLabel:`Konto wird angelegt …`,children:`Konto anlegen`})]}),Z(`p`,{children:[`Schon ein Konto? `,Z(`a`,{href:`/anmelden`,children:`Anmelden`})]})]})}function Rn({me:e,refetchMe:t}){K(`Einstellungen`);let n=q(),{search:r}=Ze(),[i,a]=P(``),[o,s]=P(null),[c,l]=P(null),[u,d]=P(null),[f,p]=P(!1),m=I(null);return Z(`section`,{class:`narrow`,children:[Z(`h1`,{tabIndex:-1,ref:n,children:`Einstellungen`}),r.get(`willkommen`)===`1`&&!e?.hasGeminiApiKey&&Z(En,{children:Z(`p`,{children:`Willkommen! Hinterlegen Sie zuerst Ihren Gemini-API-Schlüssel – danach können Sie Sammlungen anlegen und Bilder hochladen.`})}),Z(`div`,{class:`card`,children:[Z(`h2`,{children:`Gemini-API-Schlüssel`}),e===null?Z(Nn,{}):e.hasGeminiApiKey?Z(`p`,{class:`key-state`,"data-testid":`key-state`,children:[`Ein Schlüssel ist hinterlegt`,e.geminiApiKeyHint?Z(y,{children:[` `,`(endet auf `,Z(`span`,{class:`mono`,children:[`…`,e.geminiApiKeyHint]}),`)`]}):null,`. Er wird verschlüsselt gespeichert und nie wieder angezeigt.`]}):Z(`p`,{class:`key-state`,"data-testid":`key-state`,children:`Es ist noch kein Schlüssel hinterlegt. Ohne ihn kann Gemini keine Prompts schreiben.`}),Z(`div`,{"aria-live":`polite`,role:`status`,class:`saved`,children:u}),Z(Q,{problem:c}),Z(`form`,{class:`form`,onSubmit:async e=>{if(e.preventDefault(),i.trim()===``)l({message:`Bitte geben Sie einen Schlüssel ein.`});else{s(`save`),l(null),d(null);try{await G(Ut,{apiKey:i}),a(``),d(`Der Schlüssel ist gespeichert.`),U(`me`),t()}catch(e){l(X(e,`api-key`))}finally{s(null)}}},children:[Z(`div`,{class:`field`,children:[Z(`label`,{for:`api-key`,children:e?.hasGeminiApiKey?`Neuer Schlüssel`:`Schlüssel`}),Z(`input`,{id:`api-key`,ref:m,type:`password`,autocomplete:`off`,spellcheck:!1,maxLength:256,"aria-describedby":`api-key-hint`,value:i,onInput:e=>a(e.currentTarget.value)}),Z(`p`,{id:`api-key-hint`,class:`hint`,children:[L.demo?Z(y,{children:[`In der Demo funktioniert jeder Schlüssel, zum Beispiel „demo“. Mit „fault:slow:20000“ braucht der Platzhalter 20 Sekunden (Zeit zum Abbrechen); „fault:blocked“ zeigt eine blockierte Anfrage.`,` `]}):null,`Einen Schlüssel erstellen Sie kostenlos im`,` `,Z(`a`,{href:`https://aistudio.google.com/apikey`,target:`_blank`,rel:`noopener noreferrer`,children:[`Google AI Studio`,Z(`span`,{class:`visually-hidden`,children:` (öffnet in einem neuen Fenster)`})]}),`.`]})]}),Z(`div`,{class:`actions`,children:[Z($,{type:`submit`,variant:`primary`,busy:o===`save`,busyLabel:`Wird gespeichert …`,children:`Schlüssel speichern`}),e?.hasGeminiApiKey&&Z($,{variant:`danger`,onClick:()=>p(!0),children:`Schlüssel entfernen`})]})]})]}),Z(`p`,{children:Z(`a`,{href:`/sammlungen`,children:`Weiter zu den Sammlungen`})}),Z(Dn,{open:f,title:`Schlüssel entfernen?`,confirmLabel:`Schlüssel entfernen`,busyLabel:`Wird entfernt …`,busy:o===`clear`,onConfirm:async()=>{s(`clear`),l(null),d(null);try{await G(Wt),p(!1),d(`Der Schlüssel ist entfernt.`),U(`me`),t(),setTimeout(()=>m.current?.focus())}catch(e){p(!1),l(X(e))}finally{s(null)}},onCancel:()=>p(!1),children:Z(`p`,{children:`Ohne Schlüssel kann Gemini keine neuen Prompts schreiben. Ihre Sammlungen, Bilder und bisherigen Prompts bleiben erhalten.`})})]})}var zn=20,Bn=e=>e.me?.collections??null;function Vn(){K(`Sammlungen`);let e=q(),t=Ft(Gt,{first:zn},[`collections`]),n=It(Gt,De((e,t)=>({first:t,after:e}),[]),Bn,t.data?Bn(t.data):null,zn),[r,i]=P(``),[a,o]=P(!1),[s,c]=P(null);return Z(`section`,{children:[Z(`h1`,{tabIndex:-1,ref:e,children:`Sammlungen`}),Z(`form`,{class:`card form inline-form`,onSubmit:async e=>{if(e.preventDefault(),r.trim()===``)c({message:`Bitte geben Sie der Sammlung einen Namen.`});else{o(!0),c(null);try{let e=await G(Kt,{name:r});U(`collections`),z(`/sammlungen/${e.createCollection.id}`)}catch(e){c(X(e,`collection-name`)),o(!1)}}},children:[Z(`div`,{class:`field`,children:[Z(`label`,{for:`new-collection`,children:`Neue Sammlung`}),Z(`input`,{id:`new-collection`,type:`text`,maxLength:100,placeholder:`z. B. Urlaub 2026`,value:r,onInput:e=>i(e.currentTarget.value)})]}),Z($,{type:`submit`,variant:`primary`,busy:a,busyLabel:`Wird angelegt …`,children:`Anlegen`})]}),Z(Q,{problem:s}),t.error&&!t.data&&Z(Q,{problem:X(t.error)}),t.loading&&!t.data?Z(Nn,{}):n.nodes.length===0&&t.data?Z(`p`,{class:`empty`,children:`Sie haben noch keine Sammlung. Legen Sie oben die erste an.`}):Z(`ul`,{class:`collection-list`,"aria-label":`Ihre Sammlungen`,children:n.nodes.map(e=>Z(`li`,{class:`card collection-card`,children:[Z(`h2`,{children:Z(`a`,{href:`/sammlungen/${e.id}`,children:e.name})}),Z(`p`,{class:`meta`,children:[`Angelegt am `,gn(e.createdAt)]}),e.images.nodes.length>0?Z(`div`,{class:`mini-thumbs`,"aria-hidden":`true`,children:[e.images.nodes.map(e=>Z(On,{class:`mini-thumb`,src:e.url,alt:``,onExpired:t.refetch},e.id)),e.images.pageInfo.hasNextPage&&Z(`span`,{class:`more-thumbs`,children:`+`})]}):Z(`p`,{class:`meta`,children:`Noch keine Bilder`})]},e.id))}),n.hasMore&&Z($,{onClick:n.loadMore,busy:n.loadingMore,busyLabel:`Wird geladen …`,children:`Weitere Sammlungen laden`})]})}var Hn=[{format:`CSV`,label:`CSV`,hint:`für Tabellen (Excel, LibreOffice)`},{format:`MARKDOWN`,label:`Markdown`,hint:`zum Lesen und Weitergeben`},{format:`JSON`,label:`JSON`,hint:`für Programme`}];async function Un(e,t){return`imageId`in e?(await G(cn,{id:e.imageId,format:t})).image?.exportUrl??null:`collectionId`in e?(await G(ln,{id:e.collectionId,format:t})).collection?.exportUrl??null:(await G(un,{format:t})).me?.exportUrl??null}function Wn({target:e,label:t}){let[n,r]=P(null),[i,a]=P(null),o=async t=>{r(t),a(null);try{let n=await Un(e,t);if(!n){a({message:`Das gibt es nicht (mehr) – vielleicht wurde es inzwischen gelöscht.`});return}let r=document.createElement(`a`);r.href=n,r.download=``,document.body.append(r),r.click(),r.remove()}catch(e){a(X(e))}finally{r(null)}};return Z(`section`,{class:`export card`,"aria-label":t,children:[Z(`h2`,{class:`small-heading`,children:t}),Z(`ul`,{children:Hn.map(({format:e,label:t,hint:r})=>Z(`li`,{children:Z($,{busy:n===e,busyLabel:`Wird vorbereitet …`,onClick:()=>o(e),title:r,"aria-label":`Als ${t} exportieren (${r})`,children:t})},e))}),Z(Q,{problem:i})]})}var Gn=24,Kn=e=>e.collection?.images??null,qn=`image/png,image/jpeg,image/webp,image/heic,image/heif,.heic,.heif`,Jn=2;function Yn({id:e}){let t=Ft(Yt,{id:e,first:Gn},[`collections`,`collection:${e}`]),n=t.data?.collection??null;K(n?.name??`Sammlung`);let r=q(),i=I(null),a=It(Yt,De((t,n)=>({id:e,first:n,after:t}),[e]),Kn,t.data?Kn(t.data):null,Gn);return t.loading&&!t.data?Z(Nn,{}):t.error&&!t.data?Z(Q,{problem:X(t.error)}):n?Z(`section`,{children:[Z(`nav`,{"aria-label":`Brotkrumen`,class:`breadcrumbs`,children:[Z(`a`,{href:`/sammlungen`,children:`Sammlungen`}),` `,Z(`span`,{"aria-hidden":`true`,children:`›`}),` `,Z(`span`,{"aria-current":`page`,children:n.name})]}),Z(Xn,{id:e,name:n.name,headingRef:r,imageCount:a.nodes.length,moreImages:a.hasMore}),Z(Zn,{collectionId:e,onUploaded:()=>t.refetch()}),Z(`h2`,{tabIndex:-1,ref:i,children:`Bilder`}),a.nodes.length===0?Z(`p`,{class:`empty`,children:`Noch keine Bilder in dieser Sammlung.`}):Z(`ul`,{class:`image-grid`,"aria-label":`Bilder der Sammlung`,children:a.nodes.map(n=>Z(Qn,{image:n,collectionId:e,onExpired:t.refetch,onDeleted:()=>{t.refetch(),setTimeout(()=>i.current?.focus())}},n.id))}),a.hasMore&&Z($,{onClick:a.loadMore,busy:a.loadingMore,busyLabel:`Wird geladen …`,children:`Weitere Bilder laden`}),Z(Wn,{target:{collectionId:e},label:`Prompts dieser Sammlung exportieren`})]}):Z(`section`,{children:[Z(`h1`,{tabIndex:-1,ref:r,children:`Sammlung nicht gefunden`}),Z(`p`,{children:`Diese Sammlung gibt es nicht (mehr). Vielleicht wurde sie gelöscht.`}),Z(`p`,{children:Z(`a`,{href:`/sammlungen`,children:`Zu den Sammlungen`})})]})}function Xn({id:e,name:t,headingRef:n,imageCount:r,moreImages:i}){let[a,o]=P(!1),[s,c]=P(t),[l,u]=P(null),[d,f]=P(null),[p,m]=P(!1),h=I(null),g=I(null);F(()=>{a&&h.current?.focus()},[a]);let _=async t=>{if(t.preventDefault(),s.trim()===``)f({message:`Der Name darf nicht leer sein.`});else{u(`rename`),f(null);try{await G(qt,{id:e,name:s}),o(!1),U(`collections`,`collection:${e}`),setTimeout(()=>g.current?.focus())}catch(e){f(X(e,`collection-name`))}finally{u(null)}}},v=async()=>{u(`delete`);try{await G(Jt,{id:e}),m(!1),U(`collections`,`collection:${e}`,`prompts`),z(`/sammlungen`,{replace:!0})}catch(e){m(!1),f(X(e)),u(null)}},b=r===0?`Sie enthält keine Bilder.`:`Mit ihr werden ${i?`mindestens `:``}${r===1?`ein Bild`:`${Y(r)} Bilder`} und alle dazu geschriebenen Prompts endgültig gelöscht.`,x=()=>{o(!1),c(t),f(null),setTimeout(()=>g.current?.focus())};return Z(`div`,{class:`page-header`,children:[a?Z(`form`,{class:`inline-form`,onSubmit:_,onKeyDown:e=>{e.key===`Escape`&&(e.preventDefault(),x())},children:[Z(`div`,{class:`field`,children:[Z(`label`,{for:`rename-collection`,children:`Neuer Name`}),Z(`input`,{id:`rename-collection`,ref:h,type:`text`,maxLength:100,value:s,onInput:e=>c(e.currentTarget.value)})]}),Z($,{type:`submit`,variant:`primary`,busy:l===`rename`,busyLabel:`Wird gespeichert …`,children:`Speichern`}),Z($,{onClick:x,children:`Abbrechen`})]}):Z(y,{children:[Z(`h1`,{tabIndex:-1,ref:n,children:t}),Z(`div`,{class:`actions`,children:[Z(`button`,{type:`button`,class:`button button-secondary`,ref:g,onClick:()=>{c(t),o(!0)},children:`Umbenennen`}),Z($,{variant:`danger`,onClick:()=>m(!0),children:`Sammlung löschen`})]})]}),Z(Q,{problem:d}),Z(Dn,{open:p,title:`Sammlung „${t}“ löschen?`,confirmLabel:`Endgültig löschen`,busy:l===`delete`,onConfirm:v,onCancel:()=>m(!1),children:[Z(`p`,{children:b}),Z(`p`,{children:`Das lässt sich nicht rückgängig machen.`})]})]})}function Zn({collectionId:e,onUploaded:t}){let[n,r]=P([]),[i,a]=P(!1),[o,s]=P(``),c=I(null),l=I(1),u=I(new Map),d=(e,t)=>r(n=>n.map(n=>n.key===e?{...n,...t}:n));F(()=>{let r=n.filter(e=>e.state===`uploading`).length,i=n.filter(e=>e.state===`waiting`).slice(0,Math.max(0,Jn-r));for(let n of i){d(n.key,{state:`uploading`,progress:0});let r=fn(e,n.file,e=>d(n.key,{progress:e}));u.current.set(n.key,r),r.done.then(()=>{d(n.key,{state:`done`,progress:1}),U(`collection:${e}`,`collections`),t()}).catch(e=>d(n.key,{state:`refused`,problem:X(e,`upload`)})).finally(()=>u.current.delete(n.key))}},[n]),F(()=>()=>u.current.forEach(e=>e.abort()),[]),F(()=>{if(n.length===0||n.some(e=>e.state===`waiting`||e.state===`uploading`))return;let e=n.filter(e=>e.state===`done`).length,t=n.length-e;s(`${Y(e)} von ${Y(n.length)} ${n.length===1?`Datei`:`Dateien`} hochgeladen`+(t>0?`, ${Y(t)} abgelehnt.`:`.`))},[n]);let f=e=>{let t=Array.from(e);t.length!==0&&(s(``),r(e=>[...e.filter(e=>e.state===`waiting`||e.state===`uploading`),...t.map(e=>{let t=l.current++;return L.uploadLimit!==null&&e.size>L.uploadLimit?{key:t,file:e,state:`refused`,progress:0,problem:{message:`Die Datei ist zu groß (${hn(e.size)}): erlaubt sind höchstens ${hn(L.uploadLimit)}.`}}:{key:t,file:e,state:`waiting`,progress:0,problem:null}})]))};return Z(`div`,{class:`card uploader`,children:[Z(`h2`,{class:`uploader-title`,children:`Bilder hochladen`}),Z(`div`,{class:`dropzone${i?` is-dragging`:``}`,"data-testid":`dropzone`,onDragOver:e=>{e.preventDefault(),e.dataTransfer&&(e.dataTransfer.dropEffect=`copy`),a(!0)},onDragLeave:()=>a(!1),onDrop:e=>{e.preventDefault(),a(!1),e.dataTransfer?.files&&f(e.dataTransfer.files)},children:[Z(`p`,{children:`Bilder hierher ziehen oder`}),Z(`button`,{type:`button`,class:`button button-primary`,onClick:()=>c.current?.click(),children:`Dateien auswählen`}),Z(`input`,{ref:c,id:`file-picker`,type:`file`,multiple:!0,accept:qn,hidden:!0,onChange:e=>{let t=e.currentTarget;t.files&&f(t.files),t.value=``}}),Z(`p`,{class:`hint`,children:[`PNG, JPEG, WebP oder HEIC`,L.uploadLimit===null?``:`, je Datei höchstens ${hn(L.uploadLimit)}`,`. Mehrere auf einmal sind möglich.`]})]}),n.length>0&&Z(`ul`,{class:`upload-list`,"aria-label":`Hochladen`,children:n.map(e=>Z(`li`,{class:`upload-item upload-${e.state}`,"data-file":e.file.name,children:[Z(`span`,{class:`upload-name`,children:e.file.name}),e.state===`uploading`||e.state===`waiting`?Z(y,{children:[Z(`progress`,{max:100,value:Math.round(e.progress*100),"aria-label":`Fortschritt für ${e.file.name}`}),Z(`span`,{class:`upload-state`,children:e.state===`waiting`?`Wartet …`:`${Math.round(e.progress*100)} %`})]}):e.state===`done`?Z(`span`,{class:`upload-state upload-ok`,children:`Hochgeladen`}):Z(`span`,{class:`upload-state upload-refused`,children:[`Abgelehnt: `,e.problem?.message]})]},e.key))}),Z(`p`,{role:`status`,"aria-live":`polite`,class:`visually-hidden`,children:o})]})}function Qn({image:e,collectionId:t,onExpired:n,onDeleted:r}){let[i,a]=P(!1),[o,s]=P(!1),[c,l]=P(null),[u,d]=P(e.url);return F(()=>d(e.url),[e.url]),Z(`li`,{class:`card image-card`,children:[Z(`a`,{href:`/bilder/${e.id}`,class:`image-link`,children:[Z(On,{src:u,alt:``,width:e.width,height:e.height,onExpired:async()=>{try{let t=await G(Qt,{id:e.id});t.image?d(t.image.url):n()}catch{}}}),Z(`span`,{class:`image-name`,children:e.fileName})]}),Z(`p`,{class:`meta`,children:[e.width&&e.height?`${Y(e.width)} × ${Y(e.height)} Pixel · `:``,hn(e.byteSize)]}),Z(`div`,{class:`actions`,children:[Z(`a`,{class:`button button-primary`,href:`/bilder/${e.id}`,"aria-label":`Prompt erstellen für ${e.fileName}`,children:`Prompt erstellen`}),Z($,{variant:`danger`,onClick:()=>a(!0),"aria-label":`${e.fileName} löschen`,children:`Löschen`})]}),Z(Q,{problem:c}),Z(Dn,{open:i,title:`Bild „${e.fileName}“ löschen?`,confirmLabel:`Endgültig löschen`,busy:o,onConfirm:async()=>{s(!0);try{await G(Zt,{id:e.id}),a(!1),U(`collection:${t}`,`collections`,`image:${e.id}`,`prompts`),r()}catch(e){a(!1),l(X(e)),s(!1)}},onCancel:()=>a(!1),children:Z(`p`,{children:`Mit dem Bild werden alle dafür geschriebenen Prompts gelöscht; laufende Anfragen werden abgebrochen.`})})]})}var $n=null;function er(){return $n??=G(zt).catch(e=>{throw $n=null,e}),$n}function tr(){let[e,t]=P(null),[n,r]=P(null);return F(()=>{let e=!0;return er().then(n=>e&&t(n)).catch(t=>e&&r(t instanceof W?t:null)),()=>{e=!1}},[]),{data:e,error:n,cameraLabel:t=>e?.cameraStyles.find(e=>e.value===t)?.label??`…`,effectLabel:t=>e?.filmEffects.find(e=>e.value===t)?.label??`…`}}var nr=10,rr=500,ir=e=>e.image?.videoPrompts??null;function ar({id:e,me:t}){let n=Ft($t,{id:e,first:nr},[`image:${e}`,`collections`]),r=n.data?.image??null;K(r?.fileName??`Bild`);let i=q(),a=It($t,De((t,n)=>({id:e,first:n,after:t}),[e]),ir,n.data?ir(n.data):null,nr),{refetch:o}=n,[s,c]=P(new Map),l=I(new Set);l.current=new Set(a.nodes.map(e=>e.id)),F(()=>Pt(sn,{imageId:e},{next:e=>{let t=e.videoPromptUpdated;c(e=>new Map(e).set(t.id,t)),l.current.has(t.id)||o()}}),[e,o]);let u=a.nodes.map(e=>{let t=s.get(e.id);return t&&jn(t.status)>=jn(e.status)?{...e,...t}:e});return n.loading&&!n.data?Z(Nn,{}):n.error&&!n.data?Z(Q,{problem:X(n.error)}):r?Z(`section`,{children:[Z(`nav`,{"aria-label":`Brotkrumen`,class:`breadcrumbs`,children:[Z(`a`,{href:`/sammlungen`,children:`Sammlungen`}),` `,Z(`span`,{"aria-hidden":`true`,children:`›`}),` `,Z(`a`,{href:`/sammlungen/${r.collection.id}`,children:r.collection.name}),` `,Z(`span`,{"aria-hidden":`true`,children:`›`}),` `,Z(`span`,{"aria-current":`page`,children:r.fileName})]}),Z(`h1`,{tabIndex:-1,ref:i,class:`break`,children:r.fileName}),Z(`div`,{class:`image-layout`,children:[Z(`figure`,{class:`card image-figure`,children:[Z(On,{class:`image-large`,src:r.url,alt:`Vorschau von ${r.fileName}`,width:r.width,height:r.height,onExpired:n.refetch}),Z(`figcaption`,{class:`meta`,children:[r.width&&r.height?`${Y(r.width)} × ${Y(r.height)} Pixel · `:``,hn(r.byteSize),` · hochgeladen am `,gn(r.createdAt)]})]}),Z(cr,{imageId:e,me:t})]}),Z(`h2`,{id:`verlauf`,children:`Verlauf`}),u.length===0?Z(`p`,{class:`empty`,children:`Für dieses Bild wurde noch kein Prompt erstellt.`}):Z(`ol`,{class:`prompt-list`,"aria-labelledby":`verlauf`,children:u.map(e=>Z(sr,{prompt:e},e.id))}),Z(or,{more:a}),Z(Wn,{target:{imageId:e},label:`Prompts dieses Bildes exportieren`})]}):Z(`section`,{children:[Z(`h1`,{tabIndex:-1,ref:i,children:`Bild nicht gefunden`}),Z(`p`,{children:`Dieses Bild gibt es nicht (mehr). Vielleicht wurde es gelöscht.`}),Z(`p`,{children:Z(`a`,{href:`/sammlungen`,children:`Zu den Sammlungen`})})]})}function or({more:e}){let t=I(null);return F(()=>{let n=t.current;if(n===null)return;if(e.loadingMore){n.started=!0;return}if(!n.started||(t.current=null,e.hasMore))return;let r=e.nodes.findIndex(e=>e.id===n.last),i=r<0?void 0:e.nodes[r+1];i&&document.querySelector(`.prompt-list a[href="/prompts/${CSS.escape(i.id)}"]`)?.focus()},[e.loadingMore,e.hasMore,e.nodes]),e.hasMore?Z($,{onClick:()=>{let n=e.nodes[e.nodes.length-1]?.id;t.current=n===void 0?null:{last:n,started:!1},e.loadMore()},busy:e.loadingMore,busyLabel:`Wird geladen …`,children:`Ältere Prompts laden`}):null}function sr({prompt:e,image:t}){let n=tr(),r=e.status===`COMPLETED`&&e.prompt?e.prompt:e.status===`FAILED`?Sn(e.errorCode).message:e.status===`CANCELLED`?`Abgebrochen.`:e.status===`PENDING`?`Wartet darauf, dass Gemini sie bearbeitet …`:`Gemini schreibt gerade …`;return Z(`li`,{class:`card prompt-item`,"data-status":e.status,children:[t&&Z(On,{class:`mini-thumb`,src:t.url,alt:``}),Z(`div`,{class:`prompt-item-body`,children:[Z(`p`,{class:`prompt-item-head`,children:[Z(An,{status:e.status}),` `,Z(`a`,{href:`/prompts/${e.id}`,children:[`Prompt vom `,gn(e.createdAt)]}),t&&Z(y,{children:[` · `,t.fileName]})]}),Z(`p`,{class:`meta`,children:[n.cameraLabel(e.cameraStyle),` · `,n.effectLabel(e.filmEffect)]}),Z(`p`,{class:`prompt-snippet`,children:r.length>220?`${r.slice(0,220)} …`:r})]})]})}function cr({imageId:e,me:t}){let n=tr(),[r,i]=P(``),[a,o]=P(``),[s,c]=P(``),[l,u]=P(!1),[d,f]=P(null),p=I({value:Pn(),inputs:``}),m=r||n.data?.cameraStyles[0]?.value||``,h=a||n.data?.filmEffects[0]?.value||``,g=async t=>{if(t.preventDefault(),l||m===``||h===``)return;let n=JSON.stringify([m,h,s]);p.current.inputs!==n&&(p.current={value:Pn(),inputs:n}),u(!0),f(null);try{let t=await G(en,{input:{imageId:e,cameraStyle:m,filmEffect:h,notes:s.trim()===``?null:s,idempotencyKey:p.current.value}});p.current={value:Pn(),inputs:``},U(`image:${e}`,`prompts`),z(`/prompts/${t.generateVideoPrompt.id}`)}catch(e){f(X(e,`generate`)),u(!1)}},_=rr-s.length;return Z(`form`,{class:`card form generate-form`,onSubmit:g,"aria-labelledby":`generate-title`,children:[Z(`h2`,{id:`generate-title`,children:`Prompt erstellen`}),t&&!t.hasGeminiApiKey&&Z(En,{children:Z(`p`,{children:[`Es ist noch kein Gemini-API-Schlüssel hinterlegt. `,Z(`a`,{href:`/einstellungen`,children:`Schlüssel in den Einstellungen hinterlegen`})]})}),n.error&&Z(Q,{problem:X(n.error)}),Z(`div`,{class:`field`,children:[Z(`label`,{for:`camera-style`,children:`Kamerastil`}),Z(`select`,{id:`camera-style`,value:m,disabled:!n.data,onChange:e=>i(e.currentTarget.value),children:[!n.data&&Z(`option`,{value:``,children:`Wird geladen …`}),n.data?.cameraStyles.map(e=>Z(`option`,{value:e.value,children:e.label},e.value))]})]}),Z(`div`,{class:`field`,children:[Z(`label`,{for:`film-effect`,children:`Filmeffekt`}),Z(`select`,{id:`film-effect`,value:h,disabled:!n.data,onChange:e=>o(e.currentTarget.value),children:[!n.data&&Z(`option`,{value:``,children:`Wird geladen …`}),n.data?.filmEffects.map(e=>Z(`option`,{value:e.value,children:e.label},e.value))]})]}),Z(`div`,{class:`field`,children:[Z(`label`,{for:`notes`,children:`Hinweise für Gemini (optional)`}),Z(`textarea`,{id:`notes`,rows:3,maxLength:rr,"aria-describedby":`notes-count`,placeholder:`z. B. Nebel über dem See, ruhige Stimmung`,value:s,onInput:e=>c(e.currentTarget.value)}),Z(`p`,{id:`notes-count`,class:`hint counter${_<50?` counter-low`:``}`,"aria-live":_<50?`polite`:`off`,children:[Y(s.length),` / `,Y(rr),` Zeichen`]})]}),Z(Q,{problem:d}),Z($,{type:`submit`,variant:`primary`,busy:l,busyLabel:`Wird gesendet …`,disabled:!n.data,children:`Generieren`})]})}function lr({id:e}){K(`Prompt`);let t=q(),n=Ft(tn,{id:e},[`prompt:${e}`,`collections`]),[r,i]=P(null),a=tr();F(()=>(i(null),Pt(on,{id:e},{next:e=>i(e.videoPromptUpdated)})),[e]);let o=n.data?.videoPrompt??null,s=r&&o?jn(o.status)>jn(r.status)?o:r:r??o,c=o?.image??null,l=s?.status,u=c?.id;return F(()=>{l&&!Mn(l)&&u&&U(`image:${u}`,`prompts`)},[l,u]),n.loading&&!n.data?Z(Nn,{}):n.error&&!n.data?Z(Q,{problem:X(n.error)}):!s||!o||!c?Z(`section`,{children:[Z(`h1`,{tabIndex:-1,ref:t,children:`Prompt nicht gefunden`}),Z(`p`,{children:`Diesen Prompt gibt es nicht (mehr). Vielleicht wurde das Bild gelöscht.`}),Z(`p`,{children:Z(`a`,{href:`/sammlungen`,children:`Zu den Sammlungen`})})]}):Z(`section`,{children:[Z(`nav`,{"aria-label":`Brotkrumen`,class:`breadcrumbs`,children:[Z(`a`,{href:`/sammlungen`,children:`Sammlungen`}),` `,Z(`span`,{"aria-hidden":`true`,children:`›`}),` `,Z(`a`,{href:`/sammlungen/${c.collection.id}`,children:c.collection.name}),` `,Z(`span`,{"aria-hidden":`true`,children:`›`}),` `,Z(`a`,{href:`/bilder/${c.id}`,children:c.fileName}),` `,Z(`span`,{"aria-hidden":`true`,children:`›`}),` `,Z(`span`,{"aria-current":`page`,children:`Prompt`})]}),Z(`div`,{class:`prompt-layout`,children:[Z(`div`,{children:[Z(`h1`,{tabIndex:-1,ref:t,children:[`Prompt `,Z(An,{status:s.status})]}),Z(`p`,{class:`visually-hidden`,role:`status`,"aria-live":`polite`,children:[`Status: `,kn[s.status]]}),Z(`p`,{class:`meta`,children:[a.cameraLabel(s.cameraStyle),` · `,a.effectLabel(s.filmEffect),` · angefragt am `,gn(s.createdAt)]}),s.notes&&Z(`p`,{class:`meta`,children:[`Hinweise: `,s.notes]}),Z(ur,{record:s}),Z(dr,{record:s,imageId:c.id})]}),Z(`figure`,{class:`card prompt-image`,children:[Z(On,{class:`image-large`,src:c.url,alt:`Bild: ${c.fileName}`,width:c.width,height:c.height,onExpired:n.refetch}),Z(`figcaption`,{class:`meta`,children:c.fileName})]})]})]})}function ur({record:e}){let t=e.status===`FAILED`?Sn(e.errorCode):null;return Z(y,{children:[e.status===`PENDING`&&Z(`p`,{class:`waiting`,children:[Z(`span`,{class:`spinner`,"aria-hidden":`true`}),` `,e.errorCode?Cn(e.errorCode):`Die Anfrage wartet darauf, dass Gemini sie bearbeitet …`]}),e.status===`CANCELLED`&&Z(`p`,{class:`waiting`,children:`Diese Anfrage wurde abgebrochen.`}),t&&Z(Q,{problem:t}),(e.prompt||e.status===`PROCESSING`)&&Z(`div`,{class:`card prompt-text-card`,children:[Z(`h2`,{class:`small-heading`,children:`Prompt`}),!e.prompt&&Z(`p`,{class:`waiting`,children:`Gemini sieht sich das Bild an und beginnt gleich zu schreiben …`}),Z(`p`,{class:`prompt-text${e.status===`PROCESSING`?` is-writing`:``}`,"data-testid":`prompt-text`,children:e.prompt??``})]}),e.status===`COMPLETED`&&e.details&&Z(`dl`,{class:`card details`,children:[Z(`dt`,{children:`Szene`}),Z(`dd`,{children:e.details.scene}),Z(`dt`,{children:`Kamera`}),Z(`dd`,{children:e.details.camera}),Z(`dt`,{children:`Licht`}),Z(`dd`,{children:e.details.lighting}),Z(`dt`,{children:`Stimmung`}),Z(`dd`,{children:e.details.mood}),Z(`dt`,{children:`Effekte`}),Z(`dd`,{children:e.details.effects})]}),e.status===`COMPLETED`&&Z(`p`,{class:`meta usage`,children:[e.model?Z(y,{children:[`Modell: `,e.model]}):null,e.promptTokens!==null||e.outputTokens!==null?Z(y,{children:[` · `,`Tokens: `,Y(e.promptTokens??0),` Eingabe, `,Y(e.outputTokens??0),` Ausgabe`]}):null,e.completedAt?Z(y,{children:[` · fertig am `,gn(e.completedAt)]}):null,e.attempts>1?Z(y,{children:[` · `,Y(e.attempts),` Versuche`]}):null]})]})}function dr({record:e,imageId:t}){let[n,r]=P(null),[i,a]=P(null),[o,s]=P(``),c=I(void 0),l=I(null),u=I(!1);return F(()=>{u.current&&!Mn(e.status)&&(u.current=!1,(document.activeElement===document.body||document.activeElement===null)&&l.current?.querySelector(`button, a`)?.focus())},[e.status]),Z(y,{children:[Z(`div`,{class:`actions`,ref:l,children:[Mn(e.status)&&Z($,{variant:`danger`,busy:n===`cancel`,busyLabel:`Wird abgebrochen …`,onClick:async()=>{u.current=!0,r(`cancel`),a(null);try{await G(nn,{id:e.id}),U(`image:${t}`,`prompts`)}catch(e){a(X(e,`cancel`))}finally{r(null)}},children:`Abbrechen`}),(e.status===`FAILED`||e.status===`CANCELLED`)&&Z($,{variant:`primary`,busy:n===`retry`,busyLabel:`Wird gesendet …`,onClick:async()=>{r(`retry`),a(null);try{let n=await G(rn,{id:e.id});U(`image:${t}`,`prompts`),z(`/prompts/${n.retryVideoPrompt.id}`)}catch(e){a(X(e,`retry`)),r(null)}},children:`Erneut versuchen`}),e.status===`COMPLETED`&&e.prompt&&Z($,{variant:`primary`,onClick:async()=>{let t=e.prompt??``,n=!1;try{await navigator.clipboard.writeText(t),n=!0}catch{n=fr(t)}s(n?`Der Prompt ist in der Zwischenablage.`:`Kopieren ging nicht – bitte markieren Sie den Text und kopieren Sie ihn selbst.`),clearTimeout(c.current),c.current=window.setTimeout(()=>s(``),4e3)},children:`Kopieren`}),Z(`a`,{class:`button button-secondary`,href:`/bilder/${t}`,children:`Zurück zum Bild`})]}),Z(`p`,{role:`status`,"aria-live":`polite`,class:`copied`,children:o}),Z(Q,{problem:i})]})}function fr(e){let t=document.createElement(`textarea`);t.value=e,t.setAttribute(`readonly`,``),t.className=`visually-hidden`,document.body.append(t),t.select();let n=!1;try{n=document.execCommand(`copy`)}catch{n=!1}return t.remove(),n}var pr=20,mr=e=>e.me?.videoPrompts??null;function hr(){K(`Alle Prompts`);let e=q(),t=Ft(an,{first:pr},[`prompts`]),n=It(an,De((e,t)=>({first:t,after:e}),[]),mr,t.data?mr(t.data):null,pr);return Z(`section`,{children:[Z(`h1`,{tabIndex:-1,ref:e,children:`Alle Prompts`}),Z(Wn,{target:{all:!0},label:`Alle Prompts exportieren`}),t.error&&!t.data&&Z(Q,{problem:X(t.error)}),t.loading&&!t.data?Z(Nn,{}):n.nodes.length===0?Z(`p`,{class:`empty`,children:`Noch keine Prompts. Öffnen Sie ein Bild in einer Sammlung und klicken Sie auf „Generieren“.`}):Z(`ol`,{class:`prompt-list`,"aria-label":`Alle Prompts, neueste zuerst`,children:n.nodes.map(e=>Z(sr,{prompt:e,image:e.image},e.id))}),Z(or,{more:n})]})}function gr(){return K(`Seite nicht gefunden`),Z(`section`,{children:[Z(`h1`,{tabIndex:-1,ref:q(),children:`Diese Seite gibt es nicht`}),Z(`p`,{children:[`Vielleicht ist der Link veraltet. `,Z(`a`,{href:`/sammlungen`,children:`Zu den Sammlungen`})]})]})}function _r(){let[e,t]=P(R());return F(()=>Ge((e,n)=>{if(t(e),e===null){let e=location.pathname,t=e===`/anmelden`||e===`/registrieren`;n===`expired`&&!t?z(`/anmelden?abgelaufen=1&weiter=${encodeURIComponent(Xe())}`,{replace:!0}):t||z(`/anmelden`,{replace:!0})}else if(n===`other-tab`&&(location.pathname===`/anmelden`||location.pathname===`/registrieren`)){let e=new URLSearchParams(location.search).get(`weiter`);z(e&&e.startsWith(`/`)&&!e.startsWith(`//`)?e:`/sammlungen`,{replace:!0})}}),[]),e}function vr(){let[e,t]=P(!1);return F(()=>{let e;return tt(n=>{clearTimeout(e),n?e=window.setTimeout(()=>t(!0),250):t(!1)})},[]),e?Z(`div`,{class:`progress-bar`,role:`progressbar`,"aria-label":`Wird geladen`}):null}function yr(){let[e,t]=P(Dt()),[n,r]=P(!1);return F(()=>Ot(t),[]),F(()=>{if(e!==`reconnecting`){r(!1);return}let t=setTimeout(()=>r(!0),800);return()=>clearTimeout(t)},[e]),Z(`div`,{role:`status`,"aria-live":`polite`,class:n?`banner banner-warning`:`visually-hidden`,children:n?`Die Verbindung zum Server ist unterbrochen – sie wird wiederhergestellt …`:``})}function br({me:e,signedIn:t}){let[n,r]=P(!1),{path:i}=Ze(),a=e=>i===e||i.startsWith(`${e}/`)?`page`:void 0;return Z(`header`,{class:`site-header`,children:[Z(`div`,{class:`site-header-inner`,children:[Z(`a`,{class:`brand`,href:t?`/sammlungen`:`/anmelden`,children:[Z(`span`,{class:`brand-mark`,"aria-hidden":`true`,children:`▶`}),` videoprompt`]}),t&&Z(`nav`,{"aria-label":`Hauptnavigation`,class:`main-nav`,children:[Z(`a`,{href:`/sammlungen`,"aria-current":a(`/sammlungen`),children:`Sammlungen`}),Z(`a`,{href:`/prompts`,"aria-current":a(`/prompts`),children:`Prompts`}),Z(`a`,{href:`/einstellungen`,"aria-current":a(`/einstellungen`),children:`Einstellungen`})]})]}),t&&Z(`p`,{class:`signed-in-as`,children:[e&&Z(`span`,{children:[`Angemeldet als `,e.email]}),Z(`button`,{type:`button`,class:`button-link sign-out`,onClick:async()=>{r(!0);try{await G(Ht)}catch{}r(!1),We(null,`signed-out`)},"aria-busy":n?`true`:void 0,children:n?`Abmelden …`:`Abmelden`})]})]})}function xr({me:e,refetchMe:t}){let{path:n,search:r}=Ze(),i=R()!==null,a;return F(()=>{let e=n===`/anmelden`||n===`/registrieren`;n===`/`?z(i?`/sammlungen`:`/anmelden`,{replace:!0}):!i&&!e?z(`/anmelden?weiter=${encodeURIComponent(Xe())}`,{replace:!0}):i&&e&&z(r.get(`weiter`)||`/sammlungen`,{replace:!0})},[n,i]),n===`/anmelden`?Z(In,{search:r}):n===`/registrieren`?Z(Ln,{}):!i||n===`/`?null:n===`/einstellungen`?Z(Rn,{me:e,refetchMe:t}):n===`/sammlungen`?Z(Vn,{}):(a=n.match(/^\/sammlungen\/([^/]+)$/))?Z(Yn,{id:decodeURIComponent(a[1])},a[1]):(a=n.match(/^\/bilder\/([^/]+)$/))?Z(ar,{id:decodeURIComponent(a[1]),me:e},a[1]):n===`/prompts`?Z(hr,{}):(a=n.match(/^\/prompts\/([^/]+)$/))?Z(lr,{id:decodeURIComponent(a[1])},a[1]):Z(gr,{})}function Sr(){let e=_r(),t=Ft(Rt,{},[`me`],e!==null),n=e===null?null:t.data?.me??null,{refetch:r}=t,i=I(e);return F(()=>{e!==null&&i.current!==null&&i.current!==e&&r(),i.current=e},[e,r]),F(()=>{e!==null&&t.data&&t.data.me===null&&We(null,`expired`)},[t.data,e]),Z(y,{children:[Z(`a`,{class:`skip-link`,href:`#inhalt`,onClick:e=>{e.preventDefault(),document.getElementById(`inhalt`)?.focus()},children:`Zum Inhalt springen`}),Z(vr,{}),L.demo&&Z(`div`,{class:`banner banner-demo`,role:`note`,children:[Z(`strong`,{children:`Demo:`}),` Die Antworten kommen von einem lokalen Platzhalter, nicht von Google Gemini.`]}),Z(yr,{}),Z(br,{me:n,signedIn:e!==null}),Z(`main`,{id:`inhalt`,tabIndex:-1,class:`content`,children:Z(xr,{me:n,refetchMe:t.refetch})})]})}var Cr=document.getElementById(`app`);Cr&&(Cr.textContent=``,A(Z(Sr,{}),Cr));