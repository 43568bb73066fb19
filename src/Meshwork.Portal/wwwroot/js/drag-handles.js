// Firefox starts a native drag only when the dragstart handler puts data on the DataTransfer, and
// Blazor's event handlers cannot (and the Content-Security-Policy forbids inline handlers), so any
// element marked data-drag-handle gets an empty text payload here. The drop itself is handled in C#.
document.addEventListener('dragstart', event => {
    if (event.dataTransfer && event.target instanceof Element && event.target.closest('[data-drag-handle]')) {
        event.dataTransfer.setData('text/plain', '');
    }
});
