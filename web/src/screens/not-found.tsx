import { useHeadingFocus, useTitle } from '../hooks';

export function NotFound() {
  useTitle('Seite nicht gefunden');
  const heading = useHeadingFocus();
  return (
    <section>
      <h1 tabIndex={-1} ref={heading}>Diese Seite gibt es nicht</h1>
      <p>
        Vielleicht ist der Link veraltet. <a href="/sammlungen">Zu den Sammlungen</a>
      </p>
    </section>
  );
}
